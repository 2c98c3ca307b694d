//! The files towel knows: one row per file, with its place in the data layout,
//! its sha256 and, where one exists, the public URL it can be fetched from.
//!
//! The layout and hashes are those of the reference data folder (`SHA256SUMS`
//! there). Keep this table and that file in step: a test checks them against
//! each other whenever the folder is present.

/// What a data file is for; used to group `towel data list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A BPE vocabulary or encoding description.
    Vocab,
    /// Plain text for tokenizers and training.
    Text,
    /// Part of an information-retrieval test collection.
    Ir,
    /// Small images (the 8x8 digits).
    Images,
    /// Provenance: the data folder's README and the scripts that built it.
    Provenance,
}

/// One file in the registry.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct DataFile {
    /// Short name used on the command line (`towel data fetch cl100k_base`).
    pub name: &'static str,
    /// Path relative to the data folder, with `/` separators.
    pub path: &'static str,
    /// Lower-case hex sha256 of the exact bytes.
    pub sha256: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// Canonical public URL, where the file is published on its own.
    pub url: Option<&'static str>,
    /// Group.
    pub kind: Kind,
    /// One line for humans.
    pub about: &'static str,
}

macro_rules! files {
    ($( $name:literal, $path:literal, $size:literal, $kind:ident, $url:expr, $sha:literal, $about:literal; )*) => {
        /// Every file towel knows, in a stable order.
        pub static FILES: &[DataFile] = &[
            $( DataFile { name: $name, path: $path, sha256: $sha, size: $size, url: $url, kind: Kind::$kind, about: $about }, )*
        ];
    };
}

files! {
    "r50k_base", "vocab/r50k_base.tiktoken", 835554, Vocab,
        Some("https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken"),
        "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
        "GPT-3 era BPE ranks (same tokens as gpt2)";
    "p50k_base", "vocab/p50k_base.tiktoken", 836186, Vocab,
        Some("https://openaipublic.blob.core.windows.net/encodings/p50k_base.tiktoken"),
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
        "Codex BPE ranks (r50k plus whitespace runs)";
    "cl100k_base", "vocab/cl100k_base.tiktoken", 1681126, Vocab,
        Some("https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"),
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "GPT-3.5/GPT-4 BPE ranks";
    "o200k_base", "vocab/o200k_base.tiktoken", 3613922, Vocab,
        Some("https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"),
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "GPT-4o BPE ranks";
    "gpt2-vocab-bpe", "vocab/gpt2/vocab.bpe", 456318, Vocab,
        Some("https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe"),
        "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
        "GPT-2 merge list (#version: 0.2 + 50,000 merges)";
    "gpt2-encoder-json", "vocab/gpt2/encoder.json", 1042301, Vocab,
        Some("https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json"),
        "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
        "GPT-2 token-to-id map in bytes_to_unicode form";
    "encodings-json", "vocab/encodings.json", 41300, Vocab, None,
        "c6738d224b38aa280c29982b08b61b3c34857a74e7989b5c3bb430eeb32c3cfb",
        "patterns and special tokens of each tiktoken encoding (tiktoken 0.14.0)";
    "reference-tokenizations", "vocab/reference_tokenizations.json", 90932, Vocab, None,
        "45508fc0290bc156dbe54fd30b58a8c0e4c519500b8dd4952264dce181684175",
        "token ids from tiktoken 0.14.0 for probe strings and tiny shakespeare";
    "tinyshakespeare", "text/tinyshakespeare.txt", 1115394, Text,
        Some("https://raw.githubusercontent.com/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt"),
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        "Karpathy's tiny shakespeare (1.1 MB)";
    "gutenberg", "text/large/gutenberg_en_subset.txt", 55655611, Text, None,
        "c0343848a34bb1f129aaa73aceaa70e953aee4dd7652352c39c253593168e9b8",
        "168 Project Gutenberg books, 55.7 MB, for scale benchmarks";
    "gutenberg-manifest", "text/large/manifest.tsv", 21177, Text, None,
        "b6ee3fa737a8429fadcb484c299a0ead4cc953cb5238ee6062f59e4fe776670b",
        "source list of the Gutenberg subset";
    "scifact-corpus", "ir/scifact/corpus.jsonl", 8106566, Ir, None,
        "dec31c8182f3d744c7d2c09423756fd1d17cbef75808db13ba01cc0aab4d1ac6",
        "BEIR SciFact: 5,183 abstracts";
    "scifact-queries", "ir/scifact/queries.jsonl", 209731, Ir, None,
        "8ff84a7c903f722981cd8d595c022660140c51867b27608a6d4910db86080313",
        "BEIR SciFact: 1,109 claims";
    "scifact-qrels-test", "ir/scifact/qrels/test.tsv", 5389, Ir, None,
        "0864bb985e0ca2367ba217977e72004d549054b2b06666ed9d4825ac7c21284c",
        "BEIR SciFact test judgments (300 queries)";
    "scifact-qrels-train", "ir/scifact/qrels/train.tsv", 14502, Ir, None,
        "a53f2114831916c096b6c37d9e54da68cef4efdcdbd5ed46533601af972acf1d",
        "BEIR SciFact train judgments (809 queries)";
    "cranfield-corpus", "ir/cranfield/corpus.jsonl", 1633114, Ir, None,
        "2e4e464461c1d402e5045b9db3d8d7a8b1e34da25da2a24b9cc267b31ff6372b",
        "Cranfield 1400 in BEIR layout: 1,400 abstracts";
    "cranfield-queries", "ir/cranfield/queries.jsonl", 31774, Ir, None,
        "cacc55135b7a6b08713ff6fef7391e3c80feb41028c0f4b7d656a4fca21be76f",
        "Cranfield: 225 queries";
    "cranfield-qrels-test", "ir/cranfield/qrels/test.tsv", 15552, Ir, None,
        "1eea9d17af5fea31ca3a7a22c78b50fd6a8037484ab4389fe0f201b7d04a0cb5",
        "Cranfield graded judgments (score = 5 - grade)";
    "cranfield-qrels-irds", "ir/cranfield/qrels_irds.tsv", 17955, Ir, None,
        "01f160f8a22710fec39069bb688fb153693eb56c94d05b55ec855a06c0a3f1f4",
        "Cranfield raw grades as ir_datasets yields them";
    "cranfield-query-id-map", "ir/cranfield/query_id_map.tsv", 1712, Ir, None,
        "711c2f9459beb329e52807baeebdf6abe84dee3350316fbc3b7038219e87fc9e",
        "Cranfield: new query id to original .I number";
    "cranfield-raw-docs", "ir/cranfield/raw/cran.all.1400", 1644707, Ir, None,
        "73d33d7e445b884bc32332034e7bc7d07ad5089d9030ead9f1de3493da21da1d",
        "Cranfield as distributed: documents";
    "cranfield-raw-queries", "ir/cranfield/raw/cran.qry", 28957, Ir, None,
        "99578ceb88941ef89c14faf7c63c23776a376d8fba319b990f01d0c601d8b03f",
        "Cranfield as distributed: queries";
    "cranfield-raw-qrels", "ir/cranfield/raw/cranqrel", 19541, Ir, None,
        "92e54b58dac0b980152178f350d892fae66c8a239b8a11715b835fb8d2f6bc0e",
        "Cranfield as distributed: judgments";
    "cranfield-raw-readme", "ir/cranfield/raw/readme", 1449, Ir, None,
        "8f4cb2e60ab2324bb3ad980bdc8b9cf6a9b98a08d097d90a351485dd6e25433f",
        "Cranfield as distributed: readme";
    "digits", "images/digits.csv", 264712, Images, None,
        "6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8",
        "1,797 8x8 handwritten digits (scikit-learn's load_digits)";
    "data-readme", "README.md", 13745, Provenance, None,
        "783e46709d549c44834d4b938d24ed965fcf25cf891ce26f700d287784a7f91b",
        "the data folder's README: origin and licence of every file";
    "script-build-gutenberg", "scripts/build_gutenberg_subset.py", 3554, Provenance, None,
        "09ffa78478acbfd0297bf855d41c9a2b4dc1807ea3bf64f827d9cc9a04a07d4d",
        "script: rebuild the Gutenberg subset";
    "script-convert-cranfield", "scripts/convert_cranfield.py", 3975, Provenance, None,
        "867c4780fe0517362ee92f79a63a229a7782350bdff0a0c6e9b9c29b1068e2c0",
        "script: raw Cranfield to BEIR layout";
    "script-reference-tokenizations", "scripts/make_reference_tokenizations.py", 3722, Provenance, None,
        "2e03a2b8bfc02463c4e37f5d36be0cce14bb324e66adc6db42bf4a8ed72cfd16",
        "script: write reference_tokenizations.json with tiktoken";
    "script-reconstruct-scifact", "scripts/reconstruct_scifact_corpus.py", 1579, Provenance, None,
        "586480f89349f659942cd7c358c071811f87babc0eff3b1d45626a47a6f9db30",
        "script: rebuild SciFact corpus.jsonl";
}

/// Find a registry entry by its short name or by its relative path.
pub fn by_name(name: &str) -> Option<&'static DataFile> {
    FILES.iter().find(|f| f.name == name || f.path == name)
}
