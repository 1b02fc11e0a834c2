//! Safe file writes: atomic replace under a lock, and whole-record appends.
//!
//! Several CircleCI steps (or parallel processes in one step) may write the
//! same `~/.aws` files.  Every update takes an exclusive lock on a sidecar
//! lock file, reads the current contents, and replaces the file with a
//! rename from a temporary file in the same directory, so a reader sees the
//! old file or the new one, never half of either, and no update is lost.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A file operation that failed, with the path and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}{hint}", hint = hint(.source))]
pub struct FileError {
    /// What we were doing ("cannot write", ...).
    pub action: &'static str,
    /// The file.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: io::Error,
}

fn hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied => {
            " (check the file and its directory are writable by this user, or choose another path)"
        }
        io::ErrorKind::NotFound => " (its directory does not exist)",
        io::ErrorKind::StorageFull => " (the disk is full: free space and run the step again)",
        io::ErrorKind::ReadOnlyFilesystem => " (the file system is read-only: choose another path)",
        _ => "",
    }
}

fn err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> FileError + 'a {
    move |source| FileError {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Follows a symlink so that replacing the file keeps the link.
fn resolve(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// An exclusive lock held while a file is read, changed and replaced.
#[derive(Debug)]
pub struct UpdateLock {
    path: PathBuf,
    _lock: File,
}

impl UpdateLock {
    /// Locks `path` for update, creating its directory (0700) if needed.
    /// Blocks until other writers are done.
    pub fn acquire(path: &Path) -> Result<Self, FileError> {
        let path = resolve(path);
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(err("cannot create the directory", dir))?;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let lock_path = dir.join(format!(".{name}.aws-oidc.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(err("cannot create the lock file", &lock_path))?;
        lock.lock().map_err(err("cannot lock", &lock_path))?;
        Ok(UpdateLock { path, _lock: lock })
    }

    /// The file this lock guards (symlinks resolved).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the current contents (`None` if the file does not exist).
    pub fn read(&self) -> Result<Option<String>, FileError> {
        match fs::read(&self.path) {
            Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| FileError {
                action: "cannot edit",
                path: self.path.clone(),
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    "it is not UTF-8 text; fix or move the file",
                ),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err("cannot read", &self.path)(e)),
        }
    }

    /// Replaces the file with `contents` atomically, with `mode` permissions.
    pub fn replace(&self, contents: &[u8], mode: u32) -> Result<(), FileError> {
        write_atomic(&self.path, contents, mode)
    }
}

/// Writes `contents` to a temporary file beside `path` and renames it over
/// `path`.  On any failure the old file is untouched and the temporary file
/// is removed.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), FileError> {
    write_atomic_no_follow(&resolve(path), contents, mode)
}

/// Like [`write_atomic`], but a symlink at `path` is replaced, not followed.
pub fn write_atomic_no_follow(path: &Path, contents: &[u8], mode: u32) -> Result<(), FileError> {
    let path = path.to_path_buf();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".aws-oidc-")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(err("cannot write", &path))?;
    tmp.write_all(contents)
        .map_err(err("cannot write", &path))?;
    tmp.as_file()
        .sync_all()
        .map_err(err("cannot write", &path))?;
    // tempfile's permissions are filtered by the umask; set them exactly.
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
        .map_err(err("cannot write", &path))?;
    tmp.persist(&path)
        .map_err(|e| err("cannot replace", &path)(e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Appends `contents` in one write to `path` (created 0600 if missing).
pub fn append(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(err("cannot append to", path))?;
    f.write_all(contents)
        .map_err(err("cannot append to", path))?;
    f.sync_all().map_err(err("cannot append to", path))
}

/// Checks, without changing anything, that `append` to `path` can work.
pub fn check_appendable(path: &Path) -> Result<(), FileError> {
    if path.exists() {
        OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(err("cannot append to", path))?;
        return Ok(());
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let meta = fs::metadata(dir).map_err(err("cannot create", path))?;
    if meta.permissions().readonly() {
        return Err(FileError {
            action: "cannot create",
            path: path.to_path_buf(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_is_atomic_and_sets_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/credentials");
        let lock = UpdateLock::acquire(&p).unwrap();
        assert_eq!(lock.read().unwrap(), None);
        lock.replace(b"one", 0o600).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "one");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(p.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.to_string_lossy().starts_with(".aws-oidc-")),
            "{names:?}"
        );
    }

    #[test]
    fn replace_keeps_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new", 0o600).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn non_utf8_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config");
        fs::write(&p, b"[a]\n\xff\n").unwrap();
        let e = UpdateLock::acquire(&p)
            .unwrap()
            .read()
            .unwrap_err()
            .to_string();
        assert!(e.contains("not UTF-8"), "{e}");
    }

    #[test]
    fn append_adds_whole_records() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bash_env");
        append(&p, b"a\n").unwrap();
        append(&p, b"b\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "a\nb\n");
        assert!(check_appendable(&p).is_ok());
        assert!(check_appendable(&dir.path().join("missing/dir/file")).is_err());
    }
}
