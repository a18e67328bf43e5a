//! The states of an auction's bids, awards and deposits, named once: the store writes them, the
//! market's planner and pages compare them, the API shows them.

macro_rules! named_states {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name stored and shown in the API.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|t| t.as_str() == s)
            }

            /// True when a stored name is this state.
            pub fn is(self, stored: &str) -> bool {
                self.as_str() == stored
            }
        }
    };
}

named_states! {
    /// Where a sealed bid stands.
    BidStatus {
        /// Counts in the clearing if the window closes now.
        Open => "open",
        /// Taken back by its bidder before the window closed.
        Withdrawn => "withdrawn",
    }
}

named_states! {
    /// Where an award stands.
    AwardStatus {
        /// Won, waiting for payment.
        Awarded => "awarded",
        /// Paid: the rights moved to the winner.
        Settled => "settled",
        /// Not paid in time: the deposit is forfeited and the volume offered on.
        Defaulted => "defaulted",
    }
}

named_states! {
    /// Where a bidder's deposit stands.
    DepositStatus {
        /// Held until the lot is done.
        Held => "held",
        /// Returned to the bidder.
        Refunded => "refunded",
        /// Kept: its bidder defaulted on an award.
        Forfeited => "forfeited",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for s in BidStatus::ALL {
            assert_eq!(BidStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).expect("json"), s.as_str());
        }
        for s in AwardStatus::ALL {
            assert_eq!(AwardStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).expect("json"), s.as_str());
        }
        for s in DepositStatus::ALL {
            assert_eq!(DepositStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).expect("json"), s.as_str());
        }
        assert_eq!(AwardStatus::parse("paid"), None);
        assert!(DepositStatus::Held.is("held"));
        assert!(!DepositStatus::Held.is("refunded"));
    }
}
