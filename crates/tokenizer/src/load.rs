//! Loading the named encodings from the data folders: the thin layer that
//! finds and sha256-checks the vocabulary files ([`towel_data::DataDirs`])
//! and hands the ranks to the core ([`Encoding::from_ranks`]).

use towel_data::{registry, DataDirs};

use crate::format::Gpt2Vocab;
use crate::vocab::Ranks;
use crate::{Encoding, EncodingName, TokenizerError};

impl Encoding {
    /// Load an encoding by tiktoken's name from the data folders (files are
    /// sha256-verified). An unknown name is an error listing the known ones.
    pub fn load(name: &str, dirs: &DataDirs) -> Result<Encoding, TokenizerError> {
        Encoding::load_named(EncodingName::from_name(name)?, dirs)
    }

    /// The mergeable ranks of an encoding, read from the data folders.
    pub fn load_ranks(name: EncodingName, dirs: &DataDirs) -> Result<Ranks, TokenizerError> {
        let entry =
            |name| registry::by_name(name).expect("the registry lists the vocabulary files");
        match name.tiktoken_file() {
            Some(file) => {
                let entry = entry(file);
                Ranks::parse_tiktoken(&dirs.read(entry)?, entry.path)
            }
            None => {
                let (enc, bpe) = (entry("gpt2-encoder-json"), entry("gpt2-vocab-bpe"));
                let v =
                    Gpt2Vocab::parse_named(&dirs.read(enc)?, enc.path, &dirs.read(bpe)?, bpe.path)?;
                Ok(v.ranks)
            }
        }
    }

    /// Load a built-in encoding.
    pub fn load_named(name: EncodingName, dirs: &DataDirs) -> Result<Encoding, TokenizerError> {
        let ranks = Encoding::load_ranks(name, dirs)?;
        Encoding::from_ranks(name, &ranks)
    }

    /// A built-in encoding from the ranks embedded in towel
    /// ([`towel_data::embedded`]): `gpt2` and `r50k_base` (the same ranks)
    /// and `cl100k_base`. `None` for an encoding towel does not embed.
    pub fn embedded(name: EncodingName) -> Option<Result<Encoding, TokenizerError>> {
        Some(Encoding::embedded_ranks(name)?.and_then(|ranks| Encoding::from_ranks(name, &ranks)))
    }

    /// The ranks of [`Encoding::embedded`].
    pub fn embedded_ranks(name: EncodingName) -> Option<Result<Ranks, TokenizerError>> {
        let file = match name {
            EncodingName::Gpt2 | EncodingName::R50kBase => "r50k_base",
            EncodingName::Cl100kBase => "cl100k_base",
            _ => return None,
        };
        let bytes = towel_data::embedded::file(file)?;
        Some(Ranks::parse_tiktoken(bytes, &format!("embedded {file}")))
    }

    /// [`Encoding::load_ranks`], or the embedded ranks when the data folders
    /// do not have the files; a damaged file is still an error.
    pub fn load_ranks_or_embedded(
        name: EncodingName,
        dirs: &DataDirs,
    ) -> Result<Ranks, TokenizerError> {
        match Encoding::load_ranks(name, dirs) {
            Err(TokenizerError::Data(towel_data::DataError::NotFound { .. })) => {
                Encoding::embedded_ranks(name).unwrap_or_else(|| Encoding::load_ranks(name, dirs))
            }
            other => other,
        }
    }

    /// [`Encoding::load_named`] from the data folders, else the embedded
    /// copy ([`Encoding::embedded`]) when the files are not there. A damaged
    /// file is still an error, never silently replaced.
    pub fn load_or_embedded(
        name: EncodingName,
        dirs: &DataDirs,
    ) -> Result<Encoding, TokenizerError> {
        Encoding::from_ranks(name, &Encoding::load_ranks_or_embedded(name, dirs)?)
    }
}
