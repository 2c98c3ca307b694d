//! Corpus and query readers: every bad input gives a clear error.

use std::fs;
use std::path::Path;

use towel_retrieval::corpus::{load_corpus, read_queries, Fields};
use towel_retrieval::RetrievalError;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

fn custom() -> Fields {
    Fields {
        id: "doc".into(),
        text: "body".into(),
        title: None,
    }
}

#[test]
fn reads_the_three_layouts() {
    let d = tempfile::tempdir().unwrap();
    let beir = d.path().join("beir");
    fs::create_dir(&beir).unwrap();
    write(
        &beir,
        "corpus.jsonl",
        b"{\"_id\": \"a\", \"title\": \"T\", \"text\": \"x y\"}\r\n\n{\"_id\": 7, \"text\": \"z\"}\n",
    );
    let docs = load_corpus(&beir, &Fields::beir()).unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].id, "7");
    assert_eq!(docs[0].full_text(), "T x y");
    let j = write(
        d.path(),
        "c.jsonl",
        b"{\"doc\": \"d1\", \"body\": \"hello\"}\n",
    );
    assert_eq!(load_corpus(&j, &custom()).unwrap()[0].text, "hello");
    let txt = d.path().join("txt");
    fs::create_dir(&txt).unwrap();
    write(&txt, "b.txt", b"second");
    write(&txt, "a.txt", b"first");
    write(&txt, "ignored.md", b"no");
    let docs = load_corpus(&txt, &Fields::beir()).unwrap();
    let ids: Vec<_> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn empty_corpus() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "c.jsonl", b"\n\n");
    assert!(matches!(
        load_corpus(&p, &Fields::beir()),
        Err(RetrievalError::EmptyCorpus { .. })
    ));
    let empty_dir = d.path().join("e");
    fs::create_dir(&empty_dir).unwrap();
    let e = load_corpus(&empty_dir, &Fields::beir()).unwrap_err();
    assert!(e.to_string().contains("no documents"), "{e}");
}

#[test]
fn duplicate_ids() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "c.jsonl",
        b"{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"x\"}\n{\"_id\": \"a\", \"text\": \"y\"}\n",
    );
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(matches!(e, RetrievalError::DuplicateId { .. }));
    assert!(e.to_string().contains("lines 1 and 3"), "{e}");
}

#[test]
fn missing_or_wrong_fields() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "c.jsonl",
        b"{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\"}\n",
    );
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(e.to_string().contains(":2: no `text` field"), "{e}");
    let p = write(d.path(), "c2.jsonl", b"{\"doc\": \"a\", \"text\": \"x\"}\n");
    let e = load_corpus(&p, &custom()).unwrap_err();
    assert!(e.to_string().contains("no `body` field"), "{e}");
    let p = write(d.path(), "c3.jsonl", b"{\"_id\": [1], \"text\": \"x\"}\n");
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(e.to_string().contains("must be a string"), "{e}");
    let p = write(d.path(), "c4.jsonl", b"[1, 2]\n");
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(e.to_string().contains("not an object"), "{e}");
}

#[test]
fn malformed_json_says_which_line() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "c.jsonl",
        b"{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"x\"}\n{\"_id\": \"c\", \"text\": \n",
    );
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(
        matches!(e, RetrievalError::Format { line: Some(3), .. }),
        "{e}"
    );
    assert!(e.to_string().contains("c.jsonl:3"), "{e}");
}

#[test]
fn non_utf8() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "c.jsonl",
        b"{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"\xff\"}\n",
    );
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(
        matches!(e, RetrievalError::Format { line: Some(2), .. }),
        "{e}"
    );
    let txt = d.path().join("t");
    fs::create_dir(&txt).unwrap();
    write(&txt, "a.txt", b"ok \xc3");
    let e = load_corpus(&txt, &Fields::beir()).unwrap_err();
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

#[test]
fn missing_path() {
    let e = load_corpus(Path::new("/nonexistent/corpus.jsonl"), &Fields::beir()).unwrap_err();
    assert!(matches!(e, RetrievalError::Io { .. }));
}

#[test]
fn queries_jsonl_and_tsv() {
    let d = tempfile::tempdir().unwrap();
    let j = write(
        d.path(),
        "q.jsonl",
        b"{\"_id\": \"1\", \"text\": \"what\", \"metadata\": {}}\n",
    );
    assert_eq!(read_queries(&j).unwrap()[0].text, "what");
    let t = write(
        d.path(),
        "q.tsv",
        b"query-id\ttext\r\n1\tfirst query\r\n2\tsecond\n",
    );
    let q = read_queries(&t).unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!((q[0].id.as_str(), q[0].text.as_str()), ("1", "first query"));
    let bad = write(d.path(), "b.tsv", b"1\tok\nno tab here\n");
    let e = read_queries(&bad).unwrap_err();
    assert!(e.to_string().contains("b.tsv:2"), "{e}");
}

#[test]
fn a_leading_bom_is_accepted_everywhere() {
    let d = tempfile::tempdir().unwrap();
    let j = write(
        d.path(),
        "c.jsonl",
        b"\xEF\xBB\xBF{\"_id\": \"a\", \"text\": \"x\"}\n",
    );
    assert_eq!(load_corpus(&j, &Fields::beir()).unwrap()[0].id, "a");
    let txt = d.path().join("txt");
    fs::create_dir(&txt).unwrap();
    write(&txt, "a.txt", b"\xEF\xBB\xBFfirst");
    assert_eq!(load_corpus(&txt, &Fields::beir()).unwrap()[0].text, "first");
    let q = write(
        d.path(),
        "q.jsonl",
        b"\xEF\xBB\xBF{\"_id\": \"q1\", \"text\": \"what\"}\n",
    );
    assert_eq!(read_queries(&q).unwrap()[0].id, "q1");
    // The BOM used to become part of the first query id (or hide the header).
    for tsv in [
        &b"\xEF\xBB\xBFq1\tfirst\n"[..],
        b"\xEF\xBB\xBFquery-id\ttext\nq1\tfirst\n",
    ] {
        let t = write(d.path(), "q.tsv", tsv);
        let q = read_queries(&t).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].id, "q1");
    }
}

#[test]
fn duplicate_and_empty_query_ids_name_the_lines() {
    let d = tempfile::tempdir().unwrap();
    let j = write(
        d.path(),
        "q.jsonl",
        b"{\"_id\": \"1\", \"text\": \"a\"}\n{\"_id\": \"2\", \"text\": \"b\"}\n{\"_id\": \"1\", \"text\": \"c\"}\n",
    );
    let t = write(d.path(), "q.tsv", b"id\ttext\n1\ta\n2\tb\n1\tc\n");
    for (p, lines) in [(&j, "lines 1 and 3"), (&t, "lines 2 and 4")] {
        let e = read_queries(p).unwrap_err();
        assert!(
            matches!(e, RetrievalError::DuplicateId { kind: "query", .. }),
            "{e}"
        );
        assert!(e.to_string().contains(lines), "{e}");
        assert!(e.to_string().contains("duplicate query id `1`"), "{e}");
    }
    let j = write(
        d.path(),
        "e.jsonl",
        b"{\"_id\": \"1\", \"text\": \"a\"}\n{\"_id\": \"\", \"text\": \"b\"}\n",
    );
    let e = read_queries(&j).unwrap_err();
    assert!(e.to_string().contains("e.jsonl:2: empty query id"), "{e}");
    let t = write(d.path(), "e.tsv", b"1\ta\n\tb\n");
    let e = read_queries(&t).unwrap_err();
    assert!(e.to_string().contains("e.tsv:2: empty query id"), "{e}");
}

#[test]
fn empty_document_id_names_the_line() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "c.jsonl",
        b"{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"\", \"text\": \"y\"}\n",
    );
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(
        matches!(e, RetrievalError::Format { line: Some(2), .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("c.jsonl:2: empty document id"),
        "{e}"
    );
}

#[test]
fn a_single_text_file_is_not_a_corpus() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "notes.txt", b"Just some text.\n");
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(matches!(e, RetrievalError::NotACorpus { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("folder of .txt files"), "{msg}");
    assert!(msg.contains("BEIR folder"), "{msg}");
    assert!(msg.contains("JSONL file"), "{msg}");
}

#[test]
fn ids_with_tabs_or_line_breaks_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "c.jsonl",
        b"{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\\tc\", \"text\": \"y\"}\n",
    );
    let e = load_corpus(&p, &Fields::beir()).unwrap_err();
    assert!(
        e.to_string()
            .contains("c.jsonl:2: document id \"b\\tc\" contains a tab"),
        "{e}"
    );
    let q = write(
        d.path(),
        "q.jsonl",
        b"{\"_id\": \"q\\n1\", \"text\": \"x\"}\n",
    );
    let e = read_queries(&q).unwrap_err();
    assert!(e.to_string().contains("contains a line break"), "{e}");
    // A space is fine (ids such as "doc 1" exist in the wild).
    let ok = write(
        d.path(),
        "s.jsonl",
        b"{\"_id\": \"doc 1\", \"text\": \"x\"}\n",
    );
    assert_eq!(load_corpus(&ok, &Fields::beir()).unwrap()[0].id, "doc 1");
}
