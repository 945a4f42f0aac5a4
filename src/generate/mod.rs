//! Password and passphrase generation for `clavitor generate` and
//! `--field NAME=:generate`.
//!
//! Randomness comes from the operating system through ring's
//! `SystemRandom` (`crypto::fill_random`), the one generator the rest of
//! clavitor uses. Every choice is uniform: [`uniform_below`] rejects the
//! top of the `u32` range that would make a plain `% n` favour small values
//! (modulo bias).
//!
//! Entropy (documented in docs/CLI.md):
//! * characters: `length × log2(alphabet)`, less a fraction of a bit for
//!   the rule that every class (lower, upper, digit, and symbol when on)
//!   appears at least once; 20 characters with symbols ≈ 122 bits, without
//!   ≈ 116 bits.
//! * words: `count × log2(1296)` ≈ 10.34 bits per word from the EFF short
//!   word list 1 (`eff_short_wordlist_1.txt`, © Electronic Frontier
//!   Foundation, CC BY 3.0, <https://www.eff.org/dice>); 6 words ≈ 62 bits.

use zeroize::Zeroizing;

use crate::crypto::fill_random;

/// Characters without the look-alikes I, O, l, 0 and 1.
const LOWER: &str = "abcdefghijkmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &str = "23456789";
/// Symbols that need no quoting in most shells' double quotes, URLs' userinfo
/// aside, and that password rules commonly accept.
const SYMBOLS: &str = "-_.!@#%+=~^*";

/// The EFF short word list 1: 1296 words of 3 to 5 characters (one, `yo-yo`,
/// has a hyphen), one per line.
const WORDS_TEXT: &str = include_str!("eff_short_wordlist_1.txt");
/// Number of words in the list (6^4: four dice).
pub const WORD_COUNT: usize = 1296;

/// Bounds for the command line; the defaults are what `:generate` uses.
pub const DEFAULT_LENGTH: usize = 20;
pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 256;
pub const DEFAULT_WORDS: usize = 6;
pub const MIN_WORDS: usize = 3;
pub const MAX_WORDS: usize = 64;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// `length` characters; symbols included when `symbols`.
    Chars { length: usize, symbols: bool },
    /// `count` words from the EFF short list, joined with `-`.
    Words { count: usize },
}

impl Default for Recipe {
    fn default() -> Recipe {
        Recipe::Chars {
            length: DEFAULT_LENGTH,
            symbols: true,
        }
    }
}

/// Why a recipe was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecipeError {
    #[error("--length {0}: expected {MIN_LENGTH} to {MAX_LENGTH} characters")]
    Length(usize),
    #[error("--words {0}: expected {MIN_WORDS} to {MAX_WORDS} words")]
    Words(usize),
}

/// A generated secret and its entropy in bits.
pub struct Generated {
    pub value: Zeroizing<String>,
    pub entropy_bits: f64,
}

impl Recipe {
    /// Checks the bounds.
    pub fn check(self) -> Result<Recipe, RecipeError> {
        match self {
            Recipe::Chars { length, .. } if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) => {
                Err(RecipeError::Length(length))
            }
            Recipe::Words { count } if !(MIN_WORDS..=MAX_WORDS).contains(&count) => {
                Err(RecipeError::Words(count))
            }
            ok => Ok(ok),
        }
    }

    /// The character classes of a `Chars` recipe.
    fn classes(symbols: bool) -> Vec<&'static str> {
        let mut c = vec![LOWER, UPPER, DIGITS];
        if symbols {
            c.push(SYMBOLS);
        }
        c
    }

    /// Entropy in bits of what this recipe produces (uniform over its outputs).
    pub fn entropy_bits(self) -> f64 {
        match self {
            Recipe::Words { count } => count as f64 * (WORD_COUNT as f64).log2(),
            Recipe::Chars { length, symbols } => {
                let sizes: Vec<usize> = Recipe::classes(symbols).iter().map(|c| c.len()).collect();
                let n: usize = sizes.iter().sum();
                // Fraction of strings holding every class, by inclusion-exclusion
                // over the classes left out: Σ (-1)^|S| (1 - |S-chars|/n)^length.
                let mut fraction = 0.0;
                for mask in 0u32..(1 << sizes.len()) {
                    let left_out: usize = (0..sizes.len())
                        .filter(|i| mask & (1 << i) != 0)
                        .map(|i| sizes[i])
                        .sum();
                    let sign = if mask.count_ones() % 2 == 0 {
                        1.0
                    } else {
                        -1.0
                    };
                    fraction += sign * (1.0 - left_out as f64 / n as f64).powi(length as i32);
                }
                length as f64 * (n as f64).log2() + fraction.log2()
            }
        }
    }

    /// Generates one secret. Bounds are checked first.
    pub fn generate(self) -> Result<Generated, RecipeError> {
        let recipe = self.check()?;
        let value = match recipe {
            Recipe::Chars { length, symbols } => chars(length, symbols),
            Recipe::Words { count } => words(count),
        };
        Ok(Generated {
            value,
            entropy_bits: recipe.entropy_bits(),
        })
    }
}

/// The alphabet of a `Chars` recipe, in a fixed order.
pub fn alphabet(symbols: bool) -> String {
    Recipe::classes(symbols).concat()
}

/// The embedded word list.
pub fn word_list() -> impl Iterator<Item = &'static str> {
    WORDS_TEXT.lines().filter(|l| !l.is_empty())
}

/// A uniform random integer in `0..n` (`n >= 1`), without modulo bias:
/// draws that fall in the incomplete last block of the `u32` range are
/// rejected and drawn again (at most half of all draws for any `n`).
pub fn uniform_below(n: u32) -> u32 {
    assert!(n > 0, "uniform_below(0) has no valid answer");
    // 2^32 mod n: the size of the incomplete block at the top of the range.
    // Accepting only x < 2^32 - r leaves a whole number of blocks of n.
    let r = (u32::MAX % n + 1) % n;
    loop {
        let mut b = [0u8; 4];
        fill_random(&mut b);
        let x = u32::from_le_bytes(b);
        if x <= u32::MAX - r {
            return x % n;
        }
    }
}

fn pick<'a>(items: &[&'a str]) -> &'a str {
    items[uniform_below(items.len() as u32) as usize]
}

/// `length` characters with every class present: whole strings that lack a
/// class are drawn again, which keeps the result uniform over valid strings.
fn chars(length: usize, symbols: bool) -> Zeroizing<String> {
    let classes = Recipe::classes(symbols);
    let alphabet: Vec<char> = classes.concat().chars().collect();
    loop {
        let s: Zeroizing<String> = Zeroizing::new(
            (0..length)
                .map(|_| alphabet[uniform_below(alphabet.len() as u32) as usize])
                .collect(),
        );
        if classes.iter().all(|c| s.chars().any(|ch| c.contains(ch))) {
            return s;
        }
    }
}

/// `count` words joined with `-`.
fn words(count: usize) -> Zeroizing<String> {
    let list: Vec<&str> = word_list().collect();
    let chosen: Vec<&str> = (0..count).map(|_| pick(&list)).collect();
    Zeroizing::new(chosen.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_word_list_is_the_eff_short_list_of_1296_distinct_words() {
        let words: Vec<&str> = word_list().collect();
        assert_eq!(words.len(), WORD_COUNT);
        assert_eq!(words.iter().collect::<HashSet<_>>().len(), WORD_COUNT);
        // Upstream's file numbers each word with its four dice (1111 to
        // 6666); rebuilt with those numbers, ours must be that file byte for
        // byte (SHA-256 of https://www.eff.org/files/2016/09/08/eff_short_wordlist_1.txt).
        let dice = (0..WORD_COUNT).map(|i| {
            (0..4)
                .rev()
                .map(|d| char::from(b'1' + (i / 6usize.pow(d) % 6) as u8))
                .collect::<String>()
        });
        let upstream: String = dice
            .zip(&words)
            .map(|(d, w)| format!("{d}\t{w}\n"))
            .collect();
        assert_eq!(
            crate::crypto::hex(&crate::crypto::sha256(upstream.as_bytes())),
            "8f5ca830b8bffb6fe39c9736c024a00a6a6411adb3f83a9be8bfeeb6e067ae69"
        );
    }

    #[test]
    fn passwords_have_the_length_and_alphabet_asked_for_and_every_class() {
        for symbols in [true, false] {
            let alphabet = alphabet(symbols);
            for length in [MIN_LENGTH, 20, 64, MAX_LENGTH] {
                let g = Recipe::Chars { length, symbols }.generate().unwrap();
                assert_eq!(g.value.chars().count(), length);
                assert!(g.value.chars().all(|c| alphabet.contains(c)), "{symbols}");
                assert!(g.value.chars().any(|c| DIGITS.contains(c)));
                assert!(g.value.chars().any(|c| UPPER.contains(c)));
                assert!(g.value.chars().any(|c| LOWER.contains(c)));
                assert_eq!(g.value.chars().any(|c| SYMBOLS.contains(c)), symbols);
            }
        }
        for look_alike in ['I', 'O', 'l', '0', '1'] {
            assert!(!alphabet(true).contains(look_alike));
        }
    }

    #[test]
    fn every_call_gives_a_new_value() {
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let g = Recipe::Chars {
                length: MIN_LENGTH,
                symbols: false,
            }
            .generate()
            .unwrap();
            assert!(seen.insert(g.value.to_string()), "repeated {}", *g.value);
        }
        let mut seen = HashSet::new();
        for _ in 0..500 {
            let g = Recipe::Words { count: MIN_WORDS }.generate().unwrap();
            assert!(seen.insert(g.value.to_string()));
        }
    }

    #[test]
    fn passphrases_are_words_from_the_list() {
        let list: HashSet<&str> = word_list().collect();
        for _ in 0..200 {
            let g = Recipe::Words { count: 6 }.generate().unwrap();
            // `yo-yo` is the list's one word with a hyphen, and no word is
            // `yo`, so the joined value still splits one way.
            let joined = g.value.replace("yo-yo", "yo_yo");
            let parts: Vec<String> = joined.split('-').map(|w| w.replace('_', "-")).collect();
            assert_eq!(parts.len(), 6, "{}", *g.value);
            assert!(parts.iter().all(|w| list.contains(w.as_str())));
        }
        let g = Recipe::Words { count: 6 }.generate().unwrap();
        assert!((g.entropy_bits - 62.04).abs() < 0.01, "{}", g.entropy_bits);
    }

    #[test]
    fn entropy_is_documented_figure() {
        let with = Recipe::default().entropy_bits();
        let without = Recipe::Chars {
            length: 20,
            symbols: false,
        }
        .entropy_bits();
        // 20 × log2(69) = 122.2 and 20 × log2(57) = 116.7, less the class rule.
        assert!((121.0..122.2).contains(&with), "{with}");
        assert!((115.5..116.7).contains(&without), "{without}");
    }

    #[test]
    fn out_of_bounds_recipes_are_refused() {
        assert_eq!(
            Recipe::Chars {
                length: 7,
                symbols: true
            }
            .generate()
            .err(),
            Some(RecipeError::Length(7))
        );
        assert!(Recipe::Chars {
            length: MAX_LENGTH + 1,
            symbols: true
        }
        .check()
        .is_err());
        assert_eq!(
            Recipe::Words { count: 65 }.check(),
            Err(RecipeError::Words(65))
        );
    }

    #[test]
    fn uniform_below_covers_the_range_evenly() {
        // 3 does not divide 2^32: a plain `% 3` would favour 0. 60 000 draws;
        // each count within 5 % of 20 000 fails by chance with p < 1e-20.
        let mut counts = [0u32; 3];
        for _ in 0..60_000 {
            counts[uniform_below(3) as usize] += 1;
        }
        assert!(
            counts.iter().all(|c| (19_000..21_000).contains(c)),
            "{counts:?}"
        );
        assert_eq!(uniform_below(1), 0);
    }
}
