//! The option values that are more than a plain string or boolean, each
//! read by a serde visitor whose `expecting` is what the error says the
//! value must be (`padding` must be "true, false, 'longest', 'max_length'
//! or 'do_not_pad'"). Used as `#[serde(default, deserialize_with = "...")]`
//! on `Option` fields: `undefined`/`null` is `None`.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Unexpected, Visitor};
use serde::Deserialize;

use crate::core::token::TokenOption;
use crate::core::tokenizer::{Padding, Side, Truncation};

/// `None` for `undefined`/`null`, else what `visitor` reads from the value.
fn maybe<'de, D: Deserializer<'de>, V: Visitor<'de>>(d: D, visitor: V) -> Result<Option<V::Value>, D::Error> {
    d.deserialize_option(Maybe(visitor))
}

struct Maybe<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Maybe<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self.0).map(Some)
    }
}

/// A visitor for a value that is a boolean or one of some strings.
struct Choice<T: 'static> {
    expected: &'static str,
    on_bool: fn(bool) -> Option<T>,
    words: &'static [(&'static str, T)],
}

impl<T: Copy> Visitor<'_> for Choice<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expected)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        (self.on_bool)(v).ok_or_else(|| E::invalid_value(Unexpected::Bool(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        self.words
            .iter()
            .find(|(word, _)| *word == v)
            .map(|(_, value)| *value)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
}

/// `padding`: true, false, 'longest', 'max_length' or 'do_not_pad'.
pub fn padding<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Padding>, D::Error> {
    maybe(
        d,
        Choice {
            expected: "true, false, 'longest', 'max_length' or 'do_not_pad'",
            on_bool: |on| Some(if on { Padding::Longest } else { Padding::None }),
            words: &[
                ("longest", Padding::Longest),
                ("max_length", Padding::MaxLength),
                ("do_not_pad", Padding::None),
            ],
        },
    )
}

/// `truncation`: true, false, 'longest_first', 'only_first', 'only_second' or 'do_not_truncate'.
pub fn truncation<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Truncation>, D::Error> {
    maybe(
        d,
        Choice {
            expected: "true, false, 'longest_first', 'only_first', 'only_second' or 'do_not_truncate'",
            on_bool: |on| Some(if on { Truncation::LongestFirst } else { Truncation::Off }),
            words: &[
                ("longest_first", Truncation::LongestFirst),
                ("only_first", Truncation::OnlyFirst),
                ("only_second", Truncation::OnlySecond),
                ("do_not_truncate", Truncation::Off),
            ],
        },
    )
}

/// `padding_side`: 'left' or 'right'.
pub fn side<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Side>, D::Error> {
    maybe(
        d,
        Choice {
            expected: "'left' or 'right'",
            on_bool: |_| None,
            words: &[("left", Side::Left), ("right", Side::Right)],
        },
    )
}

/// `return_tensor`: only `false`: hubguard returns plain arrays, and a
/// caller asking for tensors should know at once.
pub fn no_tensors<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    maybe(
        d,
        Choice {
            expected: "false (hubguard returns plain arrays)",
            on_bool: |on| (!on).then_some(false),
            words: &[],
        },
    )
}

/// `continue_final_message`: true (the last message's `content`), false,
/// or the name of the field to leave open.
pub fn continue_final<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("true, false or a field name")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(v.then(|| "content".to_owned()))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
    }
    maybe(d, V).map(Option::flatten)
}

/// `token`: a string, `false` (send none even if HF_TOKEN is set) or `true`
/// (the environment's, required). Never quoted in an error.
pub fn token<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TokenOption>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = TokenOption;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string, true or false")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(if v {
                TokenOption::Required
            } else {
                TokenOption::Disabled
            })
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(TokenOption::Value(v.to_owned()))
        }
    }
    maybe(d, V)
}

/// A number visitor: `check` says whether a finite number is allowed.
struct Number<T> {
    expected: &'static str,
    check: fn(f64) -> Option<T>,
}

impl<T> Visitor<'_> for Number<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expected)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Some(v)
            .filter(|n| n.is_finite())
            .and_then(self.check)
            .ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_f64(v as f64)
    }
}

/// A whole number from 0 to 2^32 - 1 (`max_length`, `pad_to_multiple_of`).
pub fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    maybe(
        d,
        Number {
            expected: "a whole number (0 or more)",
            check: |n| (n.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&n)).then_some(n as usize),
        },
    )
}

/// A whole number of at least 1 (`maxWorkers`).
pub fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    maybe(
        d,
        Number {
            expected: "a whole number of at least 1",
            check: |n| (n.fract() == 0.0 && (1.0..=u32::MAX as f64).contains(&n)).then_some(n as usize),
        },
    )
}

/// A finite number of 0 or more (the proxy's limits and timeouts).
pub fn non_negative<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    maybe(
        d,
        Number {
            expected: "a non-negative number",
            check: |n| (n >= 0.0).then_some(n),
        },
    )
}

/// A string or a list of strings (patterns, origins, host names).
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_owned()])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                out.push(item);
            }
            Ok(out)
        }
    }
    maybe(d, V)
}

/// Present or not, whatever it holds: a key the JS wrapper reads itself
/// (`text_pair`), or whose value only matters by being there (`tools` in
/// `get_chat_template`). Not walked.
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Option::<de::IgnoredAny>::deserialize(d).map(|v| v.is_some())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::core::options::read;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct All {
        #[serde(default, deserialize_with = "padding")]
        padding: Option<Padding>,
        #[serde(default, deserialize_with = "truncation")]
        truncation: Option<Truncation>,
        #[serde(default, deserialize_with = "side")]
        side: Option<Side>,
        #[serde(default, deserialize_with = "no_tensors")]
        tensors: Option<bool>,
        #[serde(default, deserialize_with = "continue_final")]
        cont: Option<String>,
        #[serde(default, deserialize_with = "token")]
        token: Option<TokenOption>,
        #[serde(default, deserialize_with = "whole")]
        whole: Option<usize>,
        #[serde(default, deserialize_with = "at_least_one")]
        workers: Option<usize>,
        #[serde(default, deserialize_with = "non_negative")]
        number: Option<f64>,
        #[serde(default, deserialize_with = "string_list")]
        list: Option<Vec<String>>,
        #[serde(default, deserialize_with = "present")]
        pair: bool,
    }

    fn all(value: serde_json::Value) -> Result<All, String> {
        read::<All, _>("t", value).map_err(|e| e.message)
    }

    #[test]
    fn each_value_reads_its_forms() {
        let a = all(json!({
            "padding": "max_length", "truncation": false, "side": "left", "tensors": false,
            "cont": true, "token": false, "whole": 3, "workers": 2, "number": 0.5,
            "list": "a", "pair": ["x"]
        }))
        .unwrap();
        assert_eq!(
            (a.padding, a.truncation, a.side),
            (Some(Padding::MaxLength), Some(Truncation::Off), Some(Side::Left))
        );
        assert_eq!(
            (a.tensors, a.cont.as_deref(), a.token),
            (Some(false), Some("content"), Some(TokenOption::Disabled))
        );
        assert_eq!((a.whole, a.workers, a.number), (Some(3), Some(2), Some(0.5)));
        assert_eq!((a.list, a.pair), (Some(vec!["a".to_owned()]), true));
        let a = all(json!({"padding": true, "cont": "thinking", "token": "hf_x", "list": ["a", "b"], "pair": null}))
            .unwrap();
        assert_eq!(
            (a.padding, a.cont.as_deref()),
            (Some(Padding::Longest), Some("thinking"))
        );
        assert_eq!(
            (a.token, a.list.map(|l| l.len()), a.pair),
            (Some(TokenOption::Value("hf_x".into())), Some(2), false)
        );
        let a = all(json!({"cont": false, "token": true, "padding": null})).unwrap();
        assert_eq!((a.cont, a.token, a.padding), (None, Some(TokenOption::Required), None));
    }

    #[test]
    fn each_value_says_what_it_must_be() {
        let cases = [
            (json!({"padding": "sideways"}), "t: `padding` must be true, false, 'longest', 'max_length' or 'do_not_pad'."),
            (json!({"truncation": 1}), "t: `truncation` must be true, false, 'longest_first', 'only_first', 'only_second' or 'do_not_truncate'."),
            (json!({"side": "up"}), "t: `side` must be 'left' or 'right'."),
            (json!({"tensors": true}), "t: `tensors` must be false (hubguard returns plain arrays)."),
            (json!({"cont": 1}), "t: `cont` must be true, false or a field name."),
            (json!({"token": 5}), "t: `token` must be a string, true or false."),
            (json!({"whole": 2.5}), "t: `whole` must be a whole number (0 or more)."),
            (json!({"whole": -1}), "t: `whole` must be a whole number (0 or more)."),
            (json!({"workers": 0}), "t: `workers` must be a whole number of at least 1."),
            (json!({"number": -1}), "t: `number` must be a non-negative number."),
            (json!({"list": 5}), "t: `list` must be a string or a list of strings."),
            (json!({"list": ["a", 5]}), "t: `list[1]` must be a string."),
        ];
        for (value, expected) in cases {
            assert_eq!(all(value).unwrap_err(), expected);
        }
    }
}
