//! The registry against the reference data folder: every file in its
//! SHA256SUMS is known with the same hash and size, lookups verify hashes,
//! and a damaged copy is reported, never used.

use std::fs;

use towel_data::registry::{self, FILES};
use towel_data::{data_or_skip, DataDirs, DataError, Status};

#[test]
fn registry_matches_sha256sums() {
    let dir = data_or_skip!();
    let sums = fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut listed = 0;
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (sha, path) = line.split_once(char::is_whitespace).unwrap();
        let path = path.trim().trim_start_matches('*');
        let f = registry::by_name(path).unwrap_or_else(|| panic!("{path} is not in the registry"));
        assert_eq!(f.sha256, sha, "{path}");
        assert_eq!(
            fs::metadata(dir.join(path)).unwrap().len(),
            f.size,
            "size of {path}"
        );
        listed += 1;
    }
    assert_eq!(
        listed,
        FILES.len(),
        "registry has files that SHA256SUMS lacks"
    );
}

#[test]
fn every_file_found_and_verified() {
    let dir = data_or_skip!();
    let dirs = DataDirs::with_data_dir(&dir);
    for f in FILES {
        match dirs.status(f) {
            Status::Ok { path, .. } => assert_eq!(path, dir.join(f.path)),
            other => panic!("{}: {other:?}", f.name),
        }
    }
    let bytes = dirs.read_named("tinyshakespeare").unwrap();
    assert_eq!(bytes.len(), 1_115_394);
}

#[test]
fn damaged_copy_is_reported_not_used() {
    let tmp = tempfile::tempdir().unwrap();
    let f = registry::by_name("tinyshakespeare").unwrap();
    let path = tmp.path().join(f.path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(
        &path,
        b"First Citizen:\nBefore we proceed any further, hear me speak.\n",
    )
    .unwrap();
    let dirs = DataDirs::with_data_dir(tmp.path());
    assert!(matches!(dirs.status(f), Status::Mismatch { .. }));
    let err = dirs.read(f).unwrap_err();
    assert!(matches!(err, DataError::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains("sha256 mismatch"), "{err}");
    assert!(matches!(dirs.locate(f), Err(DataError::Mismatch { .. })));
}

#[test]
fn damaged_first_copy_falls_back_to_a_good_one() {
    let dir = data_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let f = registry::by_name("cranfield-raw-readme").unwrap();
    let bad = tmp.path().join(f.path);
    fs::create_dir_all(bad.parent().unwrap()).unwrap();
    fs::write(&bad, b"not the readme").unwrap();
    // The damaged copy is in the data dir, the good one in the "cache".
    let dirs = DataDirs {
        data_dir: Some(tmp.path().to_path_buf()),
        cache_dir: Some(dir.clone()),
    };
    match dirs.status(f) {
        Status::Ok { path, .. } => assert_eq!(path, dir.join(f.path)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_file_says_how_to_get_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = DataDirs::with_data_dir(tmp.path());
    let err = dirs.read_named("cl100k_base").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("towel data fetch cl100k_base"), "{msg}");
    assert!(msg.contains("TOWEL_DATA_DIR"), "{msg}");
    let err = dirs.read_named("scifact-corpus").unwrap_err().to_string();
    assert!(err.contains("TOWEL_DATA_DIR"), "{err}");
    assert!(matches!(
        dirs.read_named("nope"),
        Err(DataError::Unknown(_))
    ));
}

#[test]
fn write_atomic_replaces_whole_file() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("a/b/out.txt");
    towel_data::write_atomic(&p, b"one").unwrap();
    towel_data::write_atomic(&p, b"two two").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"two two");
    // No temp files are left behind.
    assert_eq!(fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
}

#[cfg(feature = "download")]
#[test]
fn fetch_without_url_or_network_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = DataDirs {
        data_dir: None,
        cache_dir: Some(tmp.path().to_path_buf()),
    };
    let err = towel_data::fetch(
        &dirs,
        registry::by_name("gutenberg").unwrap(),
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(matches!(err, DataError::NoUrl { .. }), "{err}");
}

#[test]
fn sha256_of_known_bytes() {
    assert_eq!(
        towel_data::sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[cfg(feature = "download")]
/// Serve `body` once over HTTP on a loopback port; returns the URL.
fn serve_once(body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/file", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    url
}

#[cfg(feature = "download")]
#[test]
fn fetch_checks_sha256_and_writes_into_cache() {
    let dir = data_or_skip!();
    let f = registry::by_name("cranfield-raw-readme").unwrap();
    let good = fs::read(dir.join(f.path)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dirs = DataDirs {
        data_dir: None,
        cache_dir: Some(tmp.path().to_path_buf()),
    };
    let mut seen = 0;
    let path = towel_data::fetch_from(&dirs, f, &serve_once(good.clone()), &mut |done, _| {
        seen = done
    })
    .unwrap();
    assert_eq!(path, tmp.path().join(f.path));
    assert_eq!(fs::read(&path).unwrap(), good);
    assert_eq!(seen, good.len() as u64);
    assert!(matches!(dirs.status(f), Status::Ok { .. }));
}

#[cfg(feature = "download")]
#[test]
fn fetch_of_wrong_bytes_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = DataDirs {
        data_dir: None,
        cache_dir: Some(tmp.path().to_path_buf()),
    };
    let f = registry::by_name("cranfield-raw-readme").unwrap();
    let err = towel_data::fetch_from(&dirs, f, &serve_once(b"tampered".to_vec()), &mut |_, _| {})
        .unwrap_err();
    assert!(matches!(err, DataError::Mismatch { .. }), "{err}");
    assert!(!tmp.path().join(f.path).exists());
    // Nor a temp file: the bytes were staged in the cache, then removed.
    let folder = tmp.path().join(f.path).parent().unwrap().to_path_buf();
    let left: Vec<_> = fs::read_dir(&folder)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[cfg(feature = "download")]
#[test]
fn fetch_unreachable_says_how_to_work_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = DataDirs {
        data_dir: None,
        cache_dir: Some(tmp.path().to_path_buf()),
    };
    // Port 9 (discard) on loopback: connection refused, no network needed.
    let f = registry::by_name("tinyshakespeare").unwrap();
    let err = towel_data::fetch_from(&dirs, f, "http://127.0.0.1:9/x", &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("TOWEL_DATA_DIR"), "{err}");
}

/// A cache folder that cannot be written fails before the download starts
/// (the unreachable URL would otherwise be the error), naming the path.
#[cfg(feature = "download")]
#[test]
fn fetch_into_an_unwritable_cache_fails_before_downloading() {
    let tmp = tempfile::tempdir().unwrap();
    let not_a_dir = tmp.path().join("cache");
    fs::write(&not_a_dir, "a file where the cache folder should be").unwrap();
    let dirs = DataDirs {
        data_dir: None,
        cache_dir: Some(not_a_dir.clone()),
    };
    let f = registry::by_name("tinyshakespeare").unwrap();
    let mut called = false;
    let err = towel_data::fetch_from(&dirs, f, "http://127.0.0.1:9/x", &mut |_, _| called = true)
        .unwrap_err();
    assert!(!matches!(err, DataError::Download { .. }), "{err}");
    assert!(err.to_string().contains("cache is not a folder"), "{err}");
    assert!(!called);
}

/// Issue #10, item 7: what is at a data path but cannot be read is not
/// "missing", and reading it never blocks (a FIFO is not opened).
#[test]
fn folders_fifos_loops_and_broken_links_are_unreadable_not_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = DataDirs::with_data_dir(tmp.path());
    let place = |name: &str| {
        let p = tmp.path().join(registry::by_name(name).unwrap().path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    };
    fs::create_dir(place("o200k_base")).unwrap();
    let fifo = place("r50k_base");
    towel_data::testing::mkfifo(&fifo);
    let looped = place("p50k_base");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), place("cl100k_base")).unwrap();
    for (name, why) in [
        ("o200k_base", "folder"),
        ("r50k_base", "FIFO"),
        ("p50k_base", "symbolic links"),
        ("cl100k_base", "does not exist"),
    ] {
        let f = registry::by_name(name).unwrap();
        match dirs.status(f) {
            Status::Unreadable { reason, .. } => assert!(reason.contains(why), "{name}: {reason}"),
            other => panic!("{name}: {other:?}"),
        }
        let err = dirs.read(f).unwrap_err();
        assert!(matches!(err, DataError::Unreadable { .. }), "{name}: {err}");
        assert!(matches!(dirs.locate(f), Err(DataError::Unreadable { .. })));
    }
}

#[test]
fn a_data_dir_that_is_missing_or_a_file_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(DataDirs::with_data_dir(tmp.path()).check_data_dir().is_ok());
    let missing = DataDirs::with_data_dir(tmp.path().join("nope"));
    let err = missing.check_data_dir().unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    let err = DataDirs::with_data_dir(&file)
        .check_data_dir()
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a folder"), "{err}");
}
