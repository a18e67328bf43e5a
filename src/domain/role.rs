//! The roles a person can hold. The system actor that fires deadlines is not a role.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Acts for its own organisation (an enterprise).
    Applicant,
    /// An EIA agency acting for enterprises.
    Agency,
    /// Bureau staff who accept, evaluate and propose.
    Reviewer,
    /// Bureau official who decides.
    Approver,
    /// Runs the pollution-rights market.
    MarketOperator,
    /// Reads everything, changes nothing.
    Auditor,
    /// Administers the installation.
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Applicant,
        Role::Agency,
        Role::Reviewer,
        Role::Approver,
        Role::MarketOperator,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Agency => "agency",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::MarketOperator => "market_operator",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// Roles that see cases of every organisation. The others see only their own.
    pub fn sees_all_organisations(self) -> bool {
        !matches!(self, Role::Applicant | Role::Agency)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}` (known: applicant, agency, reviewer, approver, market_operator, auditor, admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// A small set of roles, as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(u8);

impl RoleSet {
    pub fn insert(&mut self, role: Role) {
        self.0 |= role.bit();
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn intersects(self, other: RoleSet) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    pub fn names(self) -> Vec<String> {
        self.iter().map(|r| r.as_str().to_string()).collect()
    }

    /// Parses role names, refusing unknown ones.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<RoleSet, UnknownRole> {
        let mut set = RoleSet::default();
        for name in names {
            set.insert(name.as_ref().parse()?);
        }
        Ok(set)
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        let mut set = RoleSet::default();
        for role in iter {
            set.insert(role);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("system".parse::<Role>().is_err());
        assert!("Reviewer".parse::<Role>().is_err());
    }

    #[test]
    fn role_set_membership() {
        let set = RoleSet::parse(&["reviewer", "auditor"]).expect("known roles");
        assert!(set.contains(Role::Reviewer));
        assert!(!set.contains(Role::Approver));
        assert_eq!(set.names(), vec!["reviewer", "auditor"]);
        assert!(RoleSet::parse(&["nobody"]).is_err());
    }
}
