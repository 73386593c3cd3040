//! The only module that touches the disk: loading the catalogue, headers, write-if-changed,
//! and check mode.

use crate::schema::lower::SourceFile;
use std::path::{Path, PathBuf};

/// A file an emitter produced, relative to an output root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the output root, with `/` separators.
    pub path: String,
    /// Full contents, header included.
    pub contents: String,
}

/// Errors of the I/O edge.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// Reading the catalogue failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Writing output failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Reads every `*.yaml` / `*.yml` file of a catalogue folder, in file-name order.
pub fn load_catalogue(dir: &Path) -> Result<Vec<SourceFile>, IoError> {
    let read_err = |source| IoError::Read { path: dir.to_path_buf(), source };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|source| IoError::Read { path: p.clone(), source })?;
            let text = String::from_utf8(bytes).map_err(|e| IoError::Read {
                path: p.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
            })?;
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(SourceFile { name, text })
        })
        .collect()
}

/// Writes `contents` to `path` only when the bytes differ; returns true when it wrote.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<bool, IoError> {
    if std::fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| IoError::Write { path: parent.to_path_buf(), source })?;
    }
    std::fs::write(path, contents).map_err(|source| IoError::Write { path: path.to_path_buf(), source })?;
    Ok(true)
}

/// Files under `root` whose contents differ from `files` (missing ones included).
pub fn stale(root: &Path, files: &[GeneratedFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| std::fs::read(root.join(&f.path)).map_or(true, |old| old != f.contents.as_bytes()))
        .map(|f| f.path.clone())
        .collect()
}
