//! Safe file writes: atomic replace under a lock, whole-record appends,
//! and bounded reads.
//!
//! Several CircleCI steps (or parallel processes in one step) may write the
//! same `~/.aws` files.  Every update takes an exclusive lock on a sidecar
//! lock file, reads the current contents, and replaces the file with a
//! rename from a temporary file in the same directory, so a reader sees the
//! old file or the new one, never half of either, and no update is lost.
//!
//! A target stays what it is: a named pipe or a character device
//! (`/dev/stdout`, `/dev/null`) is written through, never replaced by a
//! regular file; a directory, a block device, a socket or a read-only file
//! is refused with the reason.  Every read is bounded.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::platform;

crate::error_debug::debug_by_display!(FileError);
/// A file operation that failed, with the path and what to do.
#[derive(thiserror::Error)]
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

/// The largest AWS config or credentials file read (16 MiB): far more than
/// any hand-kept file, and a bound on what a hostile one can cost.
pub(crate) const MAX_PROFILE_FILE: u64 = 16 << 20;

fn refused(action: &'static str, path: &Path, kind: io::ErrorKind, why: String) -> FileError {
    FileError {
        action,
        path: path.to_path_buf(),
        source: io::Error::new(kind, why),
    }
}

/// Reads at most `limit` bytes of `path`; a larger file (or an endless one,
/// such as `/dev/zero`) is an error naming the limit.  A named pipe or a
/// device is read (a token from `<(...)`); [`read_regular_bounded`] refuses them.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_limited(path, limit, false)
}

/// [`read_bounded`] for files aws-oidc edits or keeps (Docker's config, the
/// credential helper's settings, a CircleCI config): anything but a regular
/// file (a named pipe that would block forever, a device, a directory) is
/// refused, by what it is, before a byte is read.
pub(crate) fn read_regular_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_limited(path, limit, true)
}

/// [`read_regular_bounded`] with its errors as a [`FileError`] naming the
/// file, and `None` for no file.
#[cfg(feature = "ecr")]
pub(crate) fn read_existing(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, FileError> {
    match read_regular_bounded(path, limit) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FileError {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_limited(path: &Path, limit: u64, regular_only: bool) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    // Opened without blocking, so a named pipe with no writer cannot hang
    // the open itself; what it is is known before any read.
    let file = platform::open_nonblocking(OpenOptions::new().read(true)).open(path)?;
    platform::blocking(&file);
    let ft = file.metadata()?.file_type();
    if ft.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a directory, not a file",
        ));
    }
    if regular_only && !ft.is_file() {
        let what = platform::special_file(&ft).unwrap_or_else(|what| what);
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {what}, not a regular file; point it at a regular file"),
        ));
    }
    // A file whose size is known to be too large is refused unread.
    if ft.is_file() && file.metadata()?.len() > limit {
        return Err(too_large(limit));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("it holds more than {limit} bytes, more than aws-oidc reads from such a file"),
    )
}

/// Checks, changing nothing, that an [`UpdateLock`] can edit `path`:
/// [`check_writable`] (a regular file or none yet), and no larger than
/// [`UpdateLock::read`] reads.  Run before any network call.
#[cfg(any(feature = "ecr", feature = "eks"))]
pub(crate) fn check_editable(path: &Path) -> Result<(), FileError> {
    check_writable(path, false, true)?;
    match fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() > MAX_PROFILE_FILE => {
            Err(err("cannot read", path)(too_large(MAX_PROFILE_FILE)))
        }
        _ => Ok(()),
    }
}

/// What is at a path that credentials are to be written to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// Nothing yet: a new regular file is created.
    Missing,
    /// A regular file, at this path once symlinks are followed: replaced atomically.
    Regular(PathBuf),
    /// A named pipe or a character device (`/dev/stdout`, `/dev/null`):
    /// written through, never replaced.
    Stream(&'static str),
}

use platform::writable;

/// Where a symlink that points to nothing yet leads: the file it names,
/// which is created there (so the link keeps working), not over the link.
fn dangling_target(path: &Path) -> Option<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        if !fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return (at != path).then_some(at);
        }
        let target = fs::read_link(&at).ok()?;
        at = parent_dir(&at).join(target);
    }
    None
}

/// Looks at `path` (following symlinks) and refuses what cannot be written safely.
fn inspect(path: &Path, action: &'static str) -> Result<Node, FileError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(match dangling_target(path) {
                Some(target) => Node::Regular(target),
                None => Node::Missing,
            })
        }
        Err(e) => return Err(err(action, path)(e)),
    };
    let ft = meta.file_type();
    let refuse = |what: &str| {
        refused(
            action,
            path,
            io::ErrorKind::InvalidInput,
            format!("it is {what}, not a file; choose a file path"),
        )
    };
    if ft.is_file() {
        if platform::read_only(&meta) {
            return Err(refused(
                action,
                path,
                io::ErrorKind::PermissionDenied,
                format!(
                    "it is read-only (mode {:04o}); make it writable (chmod u+w) if it may change, or choose another path",
                    platform::mode_of(&meta)
                ),
            ));
        }
        let resolved = if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            fs::canonicalize(path).map_err(err(action, path))?
        } else {
            path.to_path_buf()
        };
        return Ok(Node::Regular(resolved));
    }
    if ft.is_dir() {
        return Err(refuse("a directory"));
    }
    match platform::special_file(&ft) {
        Ok(stream) => Ok(Node::Stream(stream)),
        Err(what) => Err(refuse(what)),
    }
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Checks, by creating (and removing) a file there, that a file can be
/// created beside `path`: in its directory, or, with `creates_dirs`, in the
/// nearest directory that exists (the rest is created on the way).
fn check_creatable_beside(
    path: &Path,
    action: &'static str,
    creates_dirs: bool,
) -> Result<(), FileError> {
    let mut dir = parent_dir(path);
    while creates_dirs && !dir.exists() {
        match dir.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(up) => dir = up,
            None => break,
        }
    }
    tempfile::Builder::new()
        .prefix(".aws-oidc-probe-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(err(action, path))
}

/// Checks, changing nothing, that [`write_target`] (or, with
/// `creates_dirs`, an [`UpdateLock`], which creates the directory) can write
/// `path`: a regular file (or none yet) whose directory takes a new file,
/// or, with `streams`, a named pipe or character device to write through.
pub(crate) fn check_writable(
    path: &Path,
    streams: bool,
    creates_dirs: bool,
) -> Result<(), FileError> {
    match inspect(path, "cannot write")? {
        Node::Missing => check_creatable_beside(path, "cannot write", creates_dirs),
        Node::Regular(resolved) => {
            // (A symlink to a file not yet created leads to a path that does not exist.)
            if resolved.exists() && !writable(&resolved) {
                return Err(err("cannot write", path)(io::Error::from(
                    io::ErrorKind::PermissionDenied,
                )));
            }
            check_creatable_beside(&resolved, "cannot write", creates_dirs)
        }
        Node::Stream(what) if !streams => Err(refused(
            "cannot edit",
            path,
            io::ErrorKind::InvalidInput,
            format!("it is {what}, not a file it can edit in place; point it at a regular file"),
        )),
        Node::Stream(_) if writable(path) => Ok(()),
        Node::Stream(_) => Err(err("cannot write", path)(io::Error::from(
            io::ErrorKind::PermissionDenied,
        ))),
    }
}

/// Whether `a` and `b` name the same file (symlinks and hard links included;
/// two paths to a file not yet created are the same when they resolve alike).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => match (platform::file_id(&x), platform::file_id(&y)) {
            (Some(x), Some(y)) => x == y,
            _ => fs::canonicalize(a).ok() == fs::canonicalize(b).ok(),
        },
        (Err(_), Err(_)) => {
            let resolve = |p: &Path| {
                let p = dangling_target(p).unwrap_or_else(|| p.to_path_buf());
                let dir =
                    fs::canonicalize(parent_dir(&p)).unwrap_or_else(|_| parent_dir(&p).into());
                dir.join(p.file_name().unwrap_or_default())
            };
            resolve(a) == resolve(b)
        }
        _ => false,
    }
}

/// Opens a stream target for writing without waiting for a reader: a named
/// pipe nobody reads is an error at once, not a hang.
fn open_stream(path: &Path, append: bool, create: bool) -> io::Result<File> {
    let file = platform::open_nonblocking(platform::create_mode(
        OpenOptions::new().write(true).append(append).create(create),
        0o600,
    ))
    .open(path)
    .map_err(|e| {
            if platform::no_reader(&e) {
                io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "it is a named pipe (FIFO) that nothing reads from, or a socket; start the reader first, or choose a file",
                )
            } else {
                e
            }
        })?;
    // Blocking again for the write itself: a pipe's reader may be slow.
    platform::blocking(&file);
    Ok(file)
}

/// How long an update waits for another writer of the same file: writers
/// hold the lock for milliseconds, so a longer wait means one is stuck.
pub(crate) const UPDATE_LOCK_WAIT: Duration = Duration::from_secs(30);

/// How often a lock held by another process is tried again.
const LOCK_POLL: Duration = Duration::from_millis(25);

/// Takes an exclusive lock on `file`, trying again until `deadline`:
/// `Ok(false)` if another process still held it then.
pub(crate) fn lock_until(file: &File, deadline: Instant) -> io::Result<bool> {
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(fs::TryLockError::WouldBlock) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(false);
                }
                std::thread::sleep(LOCK_POLL.min(left));
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// An exclusive lock held while a file is read, changed and replaced.
#[derive(Debug)]
pub(crate) struct UpdateLock {
    path: PathBuf,
    _lock: File,
}

impl UpdateLock {
    /// Locks `path` for update, creating its directory (0700) if needed.
    /// Waits for other writers for [`UPDATE_LOCK_WAIT`] at most.  Only a
    /// regular file (or none yet) can be updated: anything else is refused
    /// before a lock file is made.
    pub(crate) fn acquire(path: &Path) -> Result<Self, FileError> {
        Self::acquire_within(path, UPDATE_LOCK_WAIT)
    }

    /// [`UpdateLock::acquire`], waiting `wait` at most for other writers.
    pub(crate) fn acquire_within(path: &Path, wait: Duration) -> Result<Self, FileError> {
        let deadline = Instant::now() + wait;
        let path = match inspect(path, "cannot edit")? {
            Node::Missing => path.to_path_buf(),
            Node::Regular(resolved) => resolved,
            Node::Stream(what) => {
                return Err(refused(
                    "cannot edit",
                    path,
                    io::ErrorKind::InvalidInput,
                    format!(
                        "it is {what}, not a file it can edit in place; point it at a regular file"
                    ),
                ))
            }
        };
        let dir = parent_dir(&path);
        if !dir.exists() {
            platform::create_private_dir(dir).map_err(err("cannot create the directory", dir))?;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let lock_path = dir.join(format!(".{name}.aws-oidc.lock"));
        let lock = platform::open_no_follow(platform::create_mode(
            OpenOptions::new().create(true).truncate(false).write(true),
            0o600,
        ))
        .open(&lock_path)
        .map_err(err("cannot create the lock file", &lock_path))?;
        if !lock_until(&lock, deadline).map_err(err("cannot lock", &lock_path))? {
            return Err(refused(
                "cannot edit",
                &path,
                io::ErrorKind::TimedOut,
                format!(
                    "another process has held its lock {} for over {} s; if no aws-oidc is \
                     still running, delete that lock file and run this again",
                    lock_path.display(),
                    wait.as_secs()
                ),
            ));
        }
        Ok(UpdateLock { path, _lock: lock })
    }

    /// The file this lock guards (symlinks resolved).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the current contents (`None` if the file does not exist), at
    /// most [`MAX_PROFILE_FILE`] bytes.
    pub(crate) fn read(&self) -> Result<Option<String>, FileError> {
        match read_regular_bounded(&self.path, MAX_PROFILE_FILE) {
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
    pub(crate) fn replace(&self, contents: &[u8], mode: u32) -> Result<(), FileError> {
        if let Node::Regular(_) = inspect(&self.path, "cannot replace")? {
            if !writable(&self.path) {
                return Err(err("cannot replace", &self.path)(io::Error::from(
                    io::ErrorKind::PermissionDenied,
                )));
            }
        }
        write_atomic_no_follow(&self.path, contents, mode)
    }
}

/// Writes `contents` to `path`: a regular file (or a new one) is replaced
/// atomically with `mode` permissions, keeping a symlink that points to it;
/// a named pipe or character device is written through; anything else
/// (a directory, a read-only file) is refused and left as it is.
pub(crate) fn write_target(path: &Path, contents: &[u8], mode: u32) -> Result<(), FileError> {
    match inspect(path, "cannot write")? {
        Node::Missing => write_atomic_no_follow(path, contents, mode),
        Node::Regular(resolved) => write_atomic_no_follow(&resolved, contents, mode),
        Node::Stream(_) => {
            let mut f = open_stream(path, false, false).map_err(err("cannot write", path))?;
            f.write_all(contents).map_err(err("cannot write", path))
        }
    }
}

/// Writes `contents` to a temporary file beside `path` and renames it over
/// `path`; a symlink at `path` is replaced, not followed.  On any failure
/// the old file is untouched and the temporary file is removed.
pub(crate) fn write_atomic_no_follow(
    path: &Path,
    contents: &[u8],
    mode: u32,
) -> Result<(), FileError> {
    let path = path.to_path_buf();
    let dir = parent_dir(&path);
    // Created 0600 whatever `mode`: nothing else may read it before it is set.
    let mut tmp = tempfile::Builder::new()
        .prefix(".aws-oidc-")
        .tempfile_in(dir)
        .map_err(err("cannot write", &path))?;
    tmp.write_all(contents)
        .map_err(err("cannot write", &path))?;
    tmp.as_file()
        .sync_all()
        .map_err(err("cannot write", &path))?;
    // Exactly `mode`, whatever the umask.
    platform::set_mode(tmp.path(), mode).map_err(err("cannot write", &path))?;
    tmp.persist(&path)
        .map_err(|e| err("cannot replace", &path)(e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Appends `contents` in one write to `path` (created 0600 if missing).  A
/// regular file that others can read is made private (0600) first, since it
/// is about to hold keys, unless it is a system-wide file under /etc (such
/// as /etc/profile, which CircleCI suggests as `$BASH_ENV` on Alpine): every
/// login shell must go on reading it, so its mode is kept. A named pipe or
/// character device is written through, and a pipe nobody reads is an
/// error at once.
pub(crate) fn append(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    let action = "cannot append to";
    // A directory, a socket or a read-only file (even for root) is refused here.
    inspect(path, action)?;
    let mut f = open_stream(path, true, true).map_err(err(action, path))?;
    let meta = f.metadata().map_err(err(action, path))?;
    refuse_foreign(path, &meta, action)?;
    if meta.is_file() && !platform::private_to_owner(&meta) && !system_wide(path) {
        platform::make_private(&f, &meta).map_err(|e| {
            refused(
                action,
                path,
                e.kind(),
                format!("others can read it and it cannot be made private (chmod 600) by this user: {e}"),
            )
        })?;
    }
    f.write_all(contents).map_err(err(action, path))?;
    if meta.is_file() {
        f.sync_all().map_err(err(action, path))?;
    }
    Ok(())
}

/// Refuses to append to a regular file another user owns: it keeps its
/// owner, who could then read the keys (root can write anyone's file).
fn refuse_foreign(path: &Path, meta: &fs::Metadata, action: &'static str) -> Result<(), FileError> {
    if meta.is_file() && !platform::owned_by_me(meta) && !system_wide(path) {
        return Err(refused(
            action,
            path,
            io::ErrorKind::PermissionDenied,
            "it belongs to another user, who could read what is written into it; \
             remove it (it is recreated, private) or choose another path"
                .into(),
        ));
    }
    Ok(())
}

/// True for a file of the system's own configuration (under /etc), which
/// other users and login shells read by design.
fn system_wide(path: &Path) -> bool {
    fs::canonicalize(path).is_ok_and(|p| p.starts_with("/etc"))
}

/// Checks, without changing anything, that `append` to `path` can work.
pub(crate) fn check_appendable(path: &Path) -> Result<(), FileError> {
    let action = "cannot append to";
    match inspect(path, action)? {
        Node::Missing => check_creatable_beside(path, action, false),
        // A real open, so read-only mounts and ownership are judged by the kernel.
        Node::Regular(target) if !target.exists() => check_creatable_beside(&target, action, false),
        Node::Regular(_) => {
            let f = OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(err(action, path))?;
            let meta = f.metadata().map_err(err(action, path))?;
            refuse_foreign(path, &meta, action)
        }
        // Opening a pipe here would end its reader's input: ask the kernel instead.
        Node::Stream(_) if writable(path) => Ok(()),
        Node::Stream(_) => Err(err(action, path)(io::Error::from(
            io::ErrorKind::PermissionDenied,
        ))),
    }
}

// Unix file types and modes; Windows is tested end to end (tests/test_windows.py).
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_writer_stuck_holding_the_lock_is_waited_for_a_bounded_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("credentials");
        let held = UpdateLock::acquire(&p).unwrap();
        let started = Instant::now();
        let e = UpdateLock::acquire_within(&p, Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(e.source.kind(), io::ErrorKind::TimedOut);
        let text = e.to_string();
        assert!(text.contains(".credentials.aws-oidc.lock"), "{text}");
        assert!(text.contains("delete that lock file"), "{text}");
        drop(held);
        UpdateLock::acquire_within(&p, Duration::from_millis(200)).unwrap();
    }

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
        write_target(&link, b"new", 0o600).unwrap();
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
        // A profile's directory is created: judged by the nearest one that exists.
        assert!(check_writable(&dir.path().join("missing/dir/file"), false, true).is_ok());
        assert!(check_writable(&dir.path().join("missing/dir/file"), true, false).is_err());
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_appended_file_that_others_can_read_is_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, "export A=1\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("bash_env");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        append(&link, b"export KEY=x\n").unwrap();
        assert_eq!(mode(&real), 0o600);
        assert_eq!(
            fs::read_to_string(&real).unwrap(),
            "export A=1\nexport KEY=x\n"
        );
    }

    #[test]
    fn a_read_only_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("credentials");
        fs::write(&p, "[keep]\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o400)).unwrap();
        for e in [
            write_target(&p, b"x", 0o600).unwrap_err(),
            check_writable(&p, false, true).unwrap_err(),
            append(&p, b"x").unwrap_err(),
            UpdateLock::acquire(&p).unwrap_err(),
        ] {
            assert!(e.to_string().contains("read-only"), "{e}");
        }
        assert_eq!(fs::read_to_string(&p).unwrap(), "[keep]\n");
        assert_eq!(mode(&p), 0o400);
    }

    #[test]
    fn a_directory_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("target");
        fs::create_dir(&d).unwrap();
        for e in [
            write_target(&d, b"x", 0o600).unwrap_err(),
            append(&d, b"x").unwrap_err(),
            check_appendable(&d).unwrap_err(),
            UpdateLock::acquire(&d).unwrap_err(),
        ] {
            assert!(e.to_string().contains("is a directory"), "{e}");
        }
        assert!(d.is_dir());
        let e = read_bounded(&d, 10).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
    }

    #[test]
    fn a_character_device_is_written_through_not_replaced() {
        let null = Path::new("/dev/null");
        write_target(null, b"KEY=x\n", 0o600).unwrap();
        append(null, b"export KEY=x\n").unwrap();
        check_appendable(null).unwrap();
        check_writable(null, true, false).unwrap();
        assert!(
            check_writable(null, false, true).is_err(),
            "a profile file must be a file"
        );
        assert!(UpdateLock::acquire(null).is_err());
        let meta = fs::metadata(null).unwrap();
        use std::os::unix::fs::FileTypeExt as _;
        assert!(meta.file_type().is_char_device());
        assert_eq!(mode(null), 0o666);
    }

    #[test]
    fn a_pipe_nobody_reads_is_an_error_at_once_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        check_appendable(&fifo).unwrap();
        let e = append(&fifo, b"x").unwrap_err().to_string();
        assert!(e.contains("nothing reads from"), "{e}");
        let e = write_target(&fifo, b"x", 0o600).unwrap_err().to_string();
        assert!(e.contains("nothing reads from"), "{e}");
    }

    #[test]
    fn a_fifo_or_device_is_refused_for_a_file_aws_oidc_keeps_not_read_forever() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // A writer that never writes: reading would block forever.
        let _writer = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap();
        let e = read_regular_bounded(&fifo, 1000).unwrap_err().to_string();
        assert!(e.contains("named pipe"), "{e}");
        let e = read_regular_bounded(Path::new("/dev/zero"), 1000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("character device"), "{e}");
        let e = read_regular_bounded(dir.path(), 1000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("directory"), "{e}");
        let p = dir.path().join("f");
        fs::write(&p, "1234").unwrap();
        assert_eq!(read_regular_bounded(&p, 4).unwrap(), b"1234");
        assert!(read_regular_bounded(&p, 3).is_err());
    }

    #[test]
    fn reads_are_bounded() {
        let e = read_bounded(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(e.to_string().contains("more than 1000 bytes"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, "1234").unwrap();
        assert_eq!(read_bounded(&p, 4).unwrap(), b"1234");
        assert!(read_bounded(&p, 3).is_err());
    }

    #[test]
    fn a_file_known_too_large_is_refused_unread_and_before_an_edit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        File::create(&p)
            .unwrap()
            .set_len(MAX_PROFILE_FILE + 1)
            .unwrap();
        let e = read_regular_bounded(&p, MAX_PROFILE_FILE).unwrap_err();
        assert!(e.to_string().contains("more than 16777216 bytes"), "{e}");
        #[cfg(any(feature = "ecr", feature = "eks"))]
        {
            let e = check_editable(&p).unwrap_err().to_string();
            assert!(e.contains("more than 16777216 bytes"), "{e}");
            check_editable(&dir.path().join("missing")).unwrap();
        }
    }

    #[test]
    fn keys_are_not_appended_to_a_file_another_user_owns() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return; // only root can give a file away
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bash_env");
        fs::write(&p, "export A=1\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::chown(&p, Some(65534), Some(65534)).unwrap();
        for e in [
            check_appendable(&p).unwrap_err(),
            append(&p, b"export KEY=x\n").unwrap_err(),
        ] {
            assert!(e.to_string().contains("belongs to another user"), "{e}");
        }
        assert_eq!(fs::read_to_string(&p).unwrap(), "export A=1\n");
    }

    #[test]
    fn same_file_sees_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        assert!(same_file(&a, &dir.path().join("./a")));
        assert!(!same_file(&a, &b));
        fs::write(&a, "").unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        assert!(same_file(&a, &b));
        fs::hard_link(&a, dir.path().join("c")).unwrap();
        assert!(same_file(&a, &dir.path().join("c")));
        // A link to a file not yet created names that file.
        let (x, link) = (dir.path().join("x"), dir.path().join("link-to-x"));
        std::os::unix::fs::symlink("x", &link).unwrap();
        assert!(same_file(&x, &link));
    }

    #[test]
    fn a_dangling_symlink_is_kept_and_its_target_created() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        check_writable(&link, false, true).unwrap();
        check_appendable(&link).unwrap();
        write_target(&link, b"new", 0o600).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(dir.path().join("real")).unwrap(), "new");
        let lock = UpdateLock::acquire(&link).unwrap();
        assert_eq!(lock.path(), dir.path().join("real"));
    }
}
