//! Exit statuses, in one place.

/// Nothing at or above `--fail-on`.
pub const CLEAN: u8 = 0;
/// Findings at or above `--fail-on`.
pub const FINDINGS: u8 = 1;
/// Usage, configuration, git or I/O errors, with the reason on stderr.
pub const USAGE_ERROR: u8 = 2;
