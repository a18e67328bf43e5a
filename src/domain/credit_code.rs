//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters,
//! the last a check character over the first 17.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    #[error("character {position} (`{character}`) is not allowed (digits and upper-case letters except I, O, S, V, Z)")]
    Character { position: usize, character: char },
    #[error("check character should be `{expected}`, got `{actual}`")]
    CheckDigit { expected: char, actual: char },
}

impl From<CreditCodeError> for super::Msg {
    fn from(e: CreditCodeError) -> super::Msg {
        match e {
            CreditCodeError::Length(n) => crate::msg!("err-credit-code-length", got = n),
            CreditCodeError::Character {
                position,
                character,
            } => crate::msg!(
                "err-credit-code-character",
                position = position,
                character = character
            ),
            CreditCodeError::CheckDigit { expected, actual } => crate::msg!(
                "err-credit-code-check",
                expected = expected,
                actual = actual
            ),
        }
    }
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters.
pub fn check_character(first17: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

impl CreditCode {
    pub fn parse(input: &str) -> Result<CreditCode, CreditCodeError> {
        let bytes = input.as_bytes();
        let chars = input.chars().count();
        if chars != 18 || bytes.len() != 18 {
            return Err(CreditCodeError::Length(chars));
        }
        for (position, c) in bytes.iter().enumerate() {
            if value_of(*c).is_none() {
                return Err(CreditCodeError::Character {
                    position: position + 1,
                    character: *c as char,
                });
            }
        }
        let expected = check_character(&bytes[..17]).ok_or(CreditCodeError::Length(chars))?;
        let actual = bytes[17] as char;
        if expected != actual {
            return Err(CreditCodeError::CheckDigit { expected, actual });
        }
        Ok(CreditCode(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_examples() {
        // Codes printed on public business licences.
        for code in [
            "91350100M000100Y43",
            "91110000802100433B",
            "91440300708461136T",
        ] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn refuses_a_wrong_check_character() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::CheckDigit {
                expected: '3',
                actual: '4'
            })
        );
    }

    #[test]
    fn refuses_bad_length_and_characters() {
        assert_eq!(
            CreditCode::parse("9135010"),
            Err(CreditCodeError::Length(7))
        );
        assert!(matches!(
            CreditCode::parse("91350100I000100Y43"),
            Err(CreditCodeError::Character { position: 9, .. })
        ));
        assert!(CreditCode::parse("91350100m000100y43").is_err());
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let good = b"91350100M000100Y43";
        for i in 0..18 {
            for &c in ALPHABET {
                if c == good[i] {
                    continue;
                }
                let mut bad = *good;
                bad[i] = c;
                let s = std::str::from_utf8(&bad).expect("ascii");
                assert!(CreditCode::parse(s).is_err(), "{s} passed");
            }
        }
    }
}
