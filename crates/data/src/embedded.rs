//! Data the project owns and ships inside the binary, so `towel tour` and the
//! examples always have something to run on, with no download.

/// About 3 KB of English prose written for towel (CC0), with a little code,
/// numbers, punctuation and non-English text so every tokenizer family has
/// something to show. Paragraphs are separated by blank lines.
pub const TOUR_TEXT: &str = include_str!("../assets/tour.txt");

/// The paragraphs of [`TOUR_TEXT`]: a tiny document collection.
pub fn tour_paragraphs() -> impl Iterator<Item = &'static str> {
    TOUR_TEXT
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
}
