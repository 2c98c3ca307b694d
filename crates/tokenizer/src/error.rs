//! The errors of this crate: each says what is wrong and, where it can, what to do.

/// Everything that can go wrong building or using a tokenizer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenizerError {
    /// A user-supplied pre-tokenization regex did not compile.
    #[error("invalid pre-tokenization pattern: {0}")]
    BadPattern(String),
    /// The regex engine gave up on an input (backtracking or stack limit).
    #[error("the pre-tokenization pattern failed on this input: {0}")]
    PatternFailed(String),
}
