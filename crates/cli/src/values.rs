//! Value parsers that several commands' options share, so that one kind of
//! number is checked, and its error worded, in one place.

use std::num::NonZeroUsize;

/// A count of at least 1 (`--steps`, `--batch`, `--epochs`: 0 would train
/// nothing and report a loss of nothing).
pub fn at_least_one(s: &str) -> Result<usize, String> {
    Ok(nonzero(s)?.get())
}

/// [`at_least_one`] as a `NonZeroUsize` (`-k`, `--threads`): clap's own
/// parser says "number would be zero for non-zero type".
pub fn nonzero(s: &str) -> Result<NonZeroUsize, String> {
    match s.parse::<usize>() {
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| "must be at least 1".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// A positive, finite number (`--lr`: NaN, infinity or 0 would only show up
/// steps later, as a NaN loss or a model that never moves).
pub fn positive_finite(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(x) => Err(format!("must be a positive finite number, not {x}")),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rates() {
        assert_eq!(at_least_one("3"), Ok(3));
        assert_eq!(at_least_one("0").unwrap_err(), "must be at least 1");
        assert_eq!(nonzero("0").unwrap_err(), "must be at least 1");
        assert!(nonzero("-1").unwrap_err().contains("invalid digit"));
        assert_eq!(positive_finite("1e-3"), Ok(1e-3));
        assert!(positive_finite("NaN").unwrap_err().contains("not NaN"));
        assert!(positive_finite("0").unwrap_err().contains("not 0"));
    }
}
