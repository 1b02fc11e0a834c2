//! What differs between Unix (Linux, macOS) and Windows, in one place.
//!
//! Unix keeps secrets private with modes (files 0600, directories 0700) and
//! trusts a file only when the effective user owns it.  Windows has no
//! modes: a file inherits the access list of its directory, and every
//! directory aws-oidc writes by default lies under the user's profile
//! (`%USERPROFILE%`), whose list lets in only the user, SYSTEM and
//! Administrators.  So on Windows the mode arguments below are no-ops and
//! the ownership checks pass; a symlink (a reparse point) is still never
//! followed where Unix would refuse to.  The rest of the crate calls these
//! functions and stays free of `cfg`.

use std::fs::{self, File, FileType, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// Opens the entry at the path itself, never a symlink's target (a planted
/// symlink is refused on Unix, seen for what it is on Windows), and never
/// waits on a named pipe.
pub(crate) fn open_no_follow(opts: &mut OpenOptions) -> &mut OpenOptions {
    imp::open_no_follow(opts)
}

/// Opens without waiting: a named pipe nobody reads (or writes) is an error
/// or an empty read at once, not a hang.  [`blocking`] undoes it once open.
pub(crate) fn open_nonblocking(opts: &mut OpenOptions) -> &mut OpenOptions {
    imp::open_nonblocking(opts)
}

/// Makes a file opened with [`open_nonblocking`] block again, for the I/O itself.
pub(crate) fn blocking(file: &File) {
    imp::blocking(file)
}

/// Whether opening for writing failed because a named pipe has no reader.
pub(crate) fn no_reader(e: &io::Error) -> bool {
    imp::no_reader(e)
}

/// What a file that is neither a regular file, a directory nor a symlink is:
/// `Ok` for what can be written through (a named pipe, a character device),
/// `Err` for what cannot (a block device, a socket).
pub(crate) fn special_file(ft: &FileType) -> Result<&'static str, &'static str> {
    imp::special_file(ft)
}

/// Whether no one may write the file (Unix: no write bit at all).
pub(crate) fn read_only(meta: &Metadata) -> bool {
    imp::read_only(meta)
}

/// The Unix permission bits, for messages (Windows: 0444 or 0666).
pub(crate) fn mode_of(meta: &Metadata) -> u32 {
    imp::mode_of(meta)
}

/// Whether this process may write `path`, as the system judges it (Unix:
/// for the effective user, ACLs and read-only mounts included).
pub(crate) fn writable(path: &Path) -> bool {
    imp::writable(path)
}

/// Makes an open regular file private to its owner (Unix: 0600, keeping the
/// owner's execute bit); nothing on Windows (see the module documentation).
pub(crate) fn make_private(file: &File, meta: &Metadata) -> io::Result<()> {
    imp::make_private(file, meta)
}

/// An identity of the file behind `meta` (Unix: device and inode), where
/// the platform gives one; `None` means: compare resolved paths instead.
pub(crate) fn file_id(meta: &Metadata) -> Option<(u64, u64)> {
    imp::file_id(meta)
}

/// Starts `cmd` in a process group of its own (Unix), so that
/// [`stop_group`] can stop it with everything it started.
pub(crate) fn own_process_group(cmd: &mut Command) -> &mut Command {
    imp::own_process_group(cmd)
}

/// Stops a child started with [`own_process_group`] and what it started
/// (on Windows, the child itself: `Child::kill`).
pub(crate) fn stop_group(child: &mut Child) {
    imp::stop_group(child);
    let _ = child.kill();
}

/// Creates the file (when `opts` creates) with `mode` on Unix; on Windows it
/// inherits its directory's access list.
pub(crate) fn create_mode(opts: &mut OpenOptions, mode: u32) -> &mut OpenOptions {
    imp::create_mode(opts, mode)
}

/// Creates `dir` and its missing parents, private to this user (0700 on Unix).
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    imp::create_private_dir(dir)
}

/// Sets exactly `mode` on Unix (no umask); nothing on Windows.
pub(crate) fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    imp::set_mode(path, mode)
}

/// Whether the file belongs to the user this process runs as (Unix: its
/// effective uid).  Windows: true, its access list decides who reads it.
pub(crate) fn owned_by_me(meta: &Metadata) -> bool {
    imp::owned_by_me(meta)
}

/// Whether no one but the owner may read or write it (Unix: no group or
/// other bits).  Windows: true, see the module documentation.
pub(crate) fn private_to_owner(meta: &Metadata) -> bool {
    imp::private_to_owner(meta)
}

/// The user's home directory, as the AWS SDKs find it: `HOME`; on Windows
/// then `USERPROFILE`, then `HOMEDRIVE` + `HOMEPATH`.
pub(crate) fn home_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    let home = var("HOME").map(|h| native_path(&h));
    if cfg!(windows) {
        home.or_else(|| var("USERPROFILE"))
            .or_else(|| Some(format!("{}{}", var("HOMEDRIVE")?, var("HOMEPATH")?)))
    } else {
        home
    }
}

/// A path as this platform's file functions take it.  On Windows, Git Bash
/// (MSYS) hands programs paths like `/c/Users/me/x` in variables it does not
/// convert, `$BASH_ENV` among them: these become `C:\Users\me\x`.  Unix: as is.
pub(crate) fn native_path(path: &str) -> String {
    if cfg!(windows) {
        msys_to_windows(path).unwrap_or_else(|| path.to_string())
    } else {
        path.to_string()
    }
}

/// `/c/x/y` or `/cygdrive/c/x/y` as `C:\x\y`; `None` for any other path.
fn msys_to_windows(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/cygdrive").unwrap_or(path);
    let rest = rest.strip_prefix('/')?;
    let mut chars = rest.chars();
    let drive = chars.next().filter(char::is_ascii_alphabetic)?;
    let tail = chars.as_str();
    if !(tail.is_empty() || tail.starts_with('/')) {
        return None;
    }
    let tail = tail.replace('/', "\\");
    let tail = if tail.is_empty() { "\\" } else { tail.as_str() };
    Some(format!("{}:{tail}", drive.to_ascii_uppercase()))
}

/// The paths of a list variable (`KUBECONFIG`, `PATH`), split as Go's
/// `filepath.SplitList` and kubectl split it: on `;` on Windows, `:`
/// elsewhere; empty entries dropped.
#[cfg(feature = "eks")]
pub(crate) fn path_list(list: &str) -> Vec<PathBuf> {
    std::env::split_paths(list)
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}

/// The name a program was started under, from its `argv[0]`: the file name,
/// and on Windows without `.exe` (`docker-credential-aws-oidc.exe` is
/// `docker-credential-aws-oidc`).
pub fn program_name(argv0: &str) -> &str {
    let name = argv0.rsplit(['/', '\\']).next().unwrap_or(argv0);
    if cfg!(windows) && name.len() > 4 && name[name.len() - 4..].eq_ignore_ascii_case(".exe") {
        &name[..name.len() - 4]
    } else {
        name
    }
}

/// The first executable called `name` in the directories of `path_var`
/// (`PATH`).  On Windows, as a shell finds it: `name` with each extension of
/// `PATHEXT` (`circleci` is `circleci.exe`).
pub(crate) fn find_program(
    path_var: &str,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<PathBuf> {
    let exts: Vec<String> = if cfg!(windows) {
        env("PATHEXT")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| ".COM;.EXE;.BAT;.CMD".into())
            .split(';')
            .filter(|e| !e.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    } else {
        Vec::new()
    };
    find_in(path_var, name, &exts, imp::is_executable)
}

/// Whether `command` can be started as a shell would start it: a path
/// (with a separator) to an executable file, or a name found by
/// [`find_program`] on `$PATH`.  A name that is not UTF-8 is left to the
/// start itself to judge.
pub(crate) fn command_exists(
    command: &std::ffi::OsStr,
    env: &dyn Fn(&str) -> Option<String>,
) -> bool {
    let Some(name) = command.to_str() else {
        return true;
    };
    if name.contains('/') || (cfg!(windows) && name.contains('\\')) {
        return imp::is_executable(Path::new(name));
    }
    !name.is_empty() && env("PATH").is_some_and(|path| find_program(&path, name, env).is_some())
}

fn find_in(
    path_var: &str,
    name: &str,
    exts: &[String],
    runnable: fn(&Path) -> bool,
) -> Option<PathBuf> {
    std::env::split_paths(path_var)
        .filter(|dir| !dir.as_os_str().is_empty())
        .find_map(|dir| {
            std::iter::once(dir.join(name))
                .chain(exts.iter().map(|ext| dir.join(format!("{name}{ext}"))))
                .find(|candidate| runnable(candidate))
        })
}

#[cfg(unix)]
mod imp {
    use super::*;
    use std::os::unix::fs::{
        DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt,
    };
    use std::os::unix::process::CommandExt as _;

    pub(super) fn open_no_follow(opts: &mut OpenOptions) -> &mut OpenOptions {
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
    }

    pub(super) fn open_nonblocking(opts: &mut OpenOptions) -> &mut OpenOptions {
        opts.custom_flags(libc::O_NONBLOCK)
    }

    pub(super) fn blocking(file: &File) {
        use std::os::fd::AsRawFd as _;
        // SAFETY: fcntl on a descriptor this File owns, with valid flags.
        unsafe {
            let fd = file.as_raw_fd();
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }

    pub(super) fn no_reader(e: &io::Error) -> bool {
        e.raw_os_error() == Some(libc::ENXIO)
    }

    pub(super) fn special_file(ft: &FileType) -> Result<&'static str, &'static str> {
        if ft.is_fifo() {
            Ok("a named pipe (FIFO)")
        } else if ft.is_char_device() {
            Ok("a character device")
        } else if ft.is_block_device() {
            Err("a block device")
        } else if ft.is_socket() {
            Err("a socket")
        } else {
            Err("not a regular file")
        }
    }

    pub(super) fn read_only(meta: &Metadata) -> bool {
        meta.permissions().mode() & 0o222 == 0
    }

    pub(super) fn mode_of(meta: &Metadata) -> u32 {
        meta.permissions().mode() & 0o7777
    }

    pub(super) fn writable(path: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt as _;
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: `c` is a valid NUL-terminated path; faccessat only reads it.
        unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) == 0 }
    }

    pub(super) fn make_private(file: &File, meta: &Metadata) -> io::Result<()> {
        file.set_permissions(fs::Permissions::from_mode(
            meta.permissions().mode() & 0o700 | 0o600,
        ))
    }

    pub(super) fn file_id(meta: &Metadata) -> Option<(u64, u64)> {
        Some((meta.dev(), meta.ino()))
    }

    pub(super) fn own_process_group(cmd: &mut Command) -> &mut Command {
        cmd.process_group(0)
    }

    pub(super) fn stop_group(child: &mut Child) {
        // SAFETY: kill(2) on the child's own process group, made at spawn.
        unsafe {
            libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
        }
    }

    pub(super) fn create_mode(opts: &mut OpenOptions, mode: u32) -> &mut OpenOptions {
        opts.mode(mode)
    }

    pub(super) fn create_private_dir(dir: &Path) -> io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }

    pub(super) fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }

    pub(super) fn owned_by_me(meta: &Metadata) -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        meta.uid() == unsafe { libc::geteuid() }
    }

    pub(super) fn private_to_owner(meta: &Metadata) -> bool {
        meta.mode() & 0o077 == 0
    }

    pub(super) fn is_executable(p: &Path) -> bool {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
}

#[cfg(windows)]
mod imp {
    use super::*;
    use std::os::windows::fs::OpenOptionsExt;

    /// Opens a reparse point (a symlink, a junction) itself, not its target.
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;

    pub(super) fn open_no_follow(opts: &mut OpenOptions) -> &mut OpenOptions {
        opts.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
    }

    pub(super) fn open_nonblocking(opts: &mut OpenOptions) -> &mut OpenOptions {
        opts
    }

    pub(super) fn blocking(_file: &File) {}

    pub(super) fn no_reader(_e: &io::Error) -> bool {
        false
    }

    pub(super) fn special_file(_ft: &FileType) -> Result<&'static str, &'static str> {
        Err("not a regular file")
    }

    pub(super) fn read_only(meta: &Metadata) -> bool {
        meta.permissions().readonly()
    }

    pub(super) fn mode_of(meta: &Metadata) -> u32 {
        if meta.permissions().readonly() {
            0o444
        } else {
            0o666
        }
    }

    pub(super) fn writable(path: &Path) -> bool {
        fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
    }

    pub(super) fn make_private(_file: &File, _meta: &Metadata) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn file_id(_meta: &Metadata) -> Option<(u64, u64)> {
        None
    }

    pub(super) fn own_process_group(cmd: &mut Command) -> &mut Command {
        cmd
    }

    pub(super) fn stop_group(_child: &mut Child) {}

    pub(super) fn create_mode(opts: &mut OpenOptions, _mode: u32) -> &mut OpenOptions {
        opts
    }

    pub(super) fn create_private_dir(dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    pub(super) fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn owned_by_me(_meta: &Metadata) -> bool {
        true
    }

    pub(super) fn private_to_owner(_meta: &Metadata) -> bool {
        true
    }

    pub(super) fn is_executable(p: &Path) -> bool {
        p.metadata().is_ok_and(|m| m.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msys_paths_become_windows_paths() {
        assert_eq!(
            msys_to_windows("/c/Users/me/.bash_env").as_deref(),
            Some(r"C:\Users\me\.bash_env")
        );
        assert_eq!(msys_to_windows("/cygdrive/d/x").as_deref(), Some(r"D:\x"));
        assert_eq!(msys_to_windows("/c").as_deref(), Some(r"C:\"));
        for not_a_drive in ["/tmp/x", "C:\\x", "relative/x", "/", "/1/x"] {
            assert_eq!(msys_to_windows(not_a_drive), None, "{not_a_drive}");
        }
    }

    #[test]
    fn programs_are_found_with_the_extensions_windows_tries() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir(&first).unwrap();
        fs::create_dir(&second).unwrap();
        fs::write(second.join("circleci.exe"), b"").unwrap();
        let path = std::env::join_paths([&first, &second]).unwrap();
        let path = path.to_str().unwrap();
        let any_file = |p: &Path| p.is_file();
        let exts = [".com".to_string(), ".exe".to_string()];
        assert_eq!(
            find_in(path, "circleci", &exts, any_file),
            Some(second.join("circleci.exe"))
        );
        assert_eq!(find_in(path, "circleci", &[], any_file), None);
        fs::write(first.join("circleci"), b"").unwrap();
        assert_eq!(
            find_in(path, "circleci", &exts, any_file),
            Some(first.join("circleci"))
        );
    }

    #[test]
    fn the_program_name_is_the_file_name() {
        assert_eq!(
            program_name("/usr/local/bin/docker-credential-aws-oidc"),
            "docker-credential-aws-oidc"
        );
        assert_eq!(program_name("aws-oidc"), "aws-oidc");
        let windows = program_name(r"C:\bin\docker-credential-aws-oidc.exe");
        assert_eq!(
            windows,
            if cfg!(windows) {
                "docker-credential-aws-oidc"
            } else {
                "docker-credential-aws-oidc.exe"
            }
        );
    }

    #[test]
    fn home_is_home_on_unix_and_falls_back_to_the_profile_on_windows() {
        let env = |name: &str| (name == "USERPROFILE").then(|| r"C:\Users\me".to_string());
        let expected = cfg!(windows).then(|| r"C:\Users\me".to_string());
        assert_eq!(home_dir(&env), expected);
        let with_home = |name: &str| (name == "HOME").then(|| "/home/me".to_string());
        assert_eq!(home_dir(&with_home).as_deref(), Some("/home/me"));
    }
}
