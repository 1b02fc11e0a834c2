//! `Debug` for the library's errors: their message, as `Display` words it.
//!
//! An error's `Debug` is linked into the binary wherever the error can
//! become a `dyn Error` (a cause, an `anyhow::Error`), whether or not
//! anything prints it, and a derived one spells out every variant and
//! field.  For some fifty error types that is kilobytes every CI job
//! downloads, for text that only a test failure or a panic shows.  The
//! message says what went wrong as well, and it is already safe to print
//! (no secret is in any error's `Display`).

/// `Debug` as `Display`, for each error type named.
macro_rules! debug_by_display {
    ($($error:ty),+ $(,)?) => {$(
        impl std::fmt::Debug for $error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(self, f)
            }
        }
    )+};
}
pub(crate) use debug_by_display;
