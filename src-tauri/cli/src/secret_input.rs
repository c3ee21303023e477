//! Reading the secret that `authorize` checks, from stdin only.
//!
//! A secret is never accepted as an argument: the command line of a process is visible to other
//! users (`ps`, `/proc/PID/cmdline`) and lands in shell history. From a pipe, the first line is read
//! into a zeroizing buffer larger than std's stdin buffer, so std reads straight into it and keeps
//! no copy of its own; the buffer is wiped on drop. From a terminal, the user is prompted on stderr
//! and the input is not echoed.

use std::io::{IsTerminal, Read};

use zeroize::Zeroizing;

use crate::error::{CliError, CliResult};

/// Larger than std's stdin buffer (8 KiB), so `read` bypasses that buffer (see `BufReader::read`).
const READ_BUFFER: usize = 16 * 1024;

/// The secret to check: the first line of stdin, trimmed, in memory that is wiped on drop.
pub fn read_secret() -> CliResult<Zeroizing<String>> {
    let stdin = std::io::stdin();
    let secret = if stdin.is_terminal() {
        let typed = rpassword::prompt_password("Paste the token to check (input hidden): ")
            .map_err(|source| CliError::Io {
                context: "cannot read the token from the terminal".into(),
                source,
            })?;
        let typed = Zeroizing::new(typed);
        Zeroizing::new(typed.trim().to_string())
    } else {
        first_line(&mut stdin.lock())?
    };
    if secret.is_empty() {
        return Err(CliError::input(
            "empty_secret",
            "no token on standard input; pipe it in, e.g. printf '%s\\n' \"$TOKEN\" | clapay-tokens-cli authorize ...",
        ));
    }
    Ok(secret)
}

/// Reads until the first newline (or the end of input) and returns that line, trimmed.
fn first_line(input: &mut impl Read) -> CliResult<Zeroizing<String>> {
    let mut buffer = Zeroizing::new(vec![0u8; READ_BUFFER]);
    let mut filled = 0;
    while filled < buffer.len() && !buffer[..filled].contains(&b'\n') {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(CliError::Io {
                    context: "cannot read standard input".into(),
                    source,
                })
            }
        }
    }
    let line_end = buffer[..filled]
        .iter()
        .position(|&byte| byte == b'\n')
        .unwrap_or(filled);
    let line = buffer[..line_end].trim_ascii();
    // Invalid UTF-8 cannot be a well-formed token; it is passed on (lossily) so that authorize
    // reports it as malformed like any other typo.
    let mut secret = Zeroizing::new(String::with_capacity(line.len() * 3));
    secret.push_str(&String::from_utf8_lossy(line));
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_line_is_taken_and_trimmed() {
        let mut input: &[u8] = b"  clp_abc \r\nsecond line\n";
        assert_eq!(
            first_line(&mut input).ok().as_deref().map(String::as_str),
            Some("clp_abc")
        );
        let mut empty: &[u8] = b"";
        assert_eq!(
            first_line(&mut empty).ok().as_deref().map(String::as_str),
            Some("")
        );
        let mut no_newline: &[u8] = b"clp_xyz";
        assert_eq!(
            first_line(&mut no_newline)
                .ok()
                .as_deref()
                .map(String::as_str),
            Some("clp_xyz")
        );
    }
}
