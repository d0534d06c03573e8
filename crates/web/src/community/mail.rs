//! Password-reset mail, sent over plain SMTP to the configured relay (`[accounts] smtp_url`): the host's own
//! mail server or a relay on the local network, which delivers onwards. A few lines of the protocol are all a
//! relay needs, so no mail library is pulled in.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long any step of the conversation may take.
const STEP: Duration = Duration::from_secs(15);

/// The address inside `Name <address>`, or the whole text.
pub(crate) fn bare_address(mailbox: &str) -> &str {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(open), Some(close)) if open < close => &mailbox[open + 1..close],
        _ => mailbox.trim(),
    }
}

/// Sends one plain-text mail to `to` through the relay at `relay` (`host:port`). Errors name the step.
pub(crate) async fn send(relay: &str, from: &str, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let stream = tokio::time::timeout(STEP, TcpStream::connect(relay))
        .await
        .map_err(|_| format!("connecting to the mail relay {relay}: timed out"))?
        .map_err(|e| format!("connecting to the mail relay {relay}: {e}"))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    expect(&mut read, "220", "the relay's greeting").await?;
    let mut step = async |command: String, code: &str, what: &str| -> Result<(), String> {
        tokio::time::timeout(STEP, write.write_all(command.as_bytes()))
            .await
            .map_err(|_| format!("{what}: timed out"))?
            .map_err(|e| format!("{what}: {e}"))?;
        expect(&mut read, code, what).await
    };
    step("EHLO tidings\r\n".to_owned(), "250", "EHLO").await?;
    step(format!("MAIL FROM:<{}>\r\n", bare_address(from)), "250", "MAIL FROM").await?;
    step(format!("RCPT TO:<{}>\r\n", bare_address(to)), "25", "RCPT TO").await?;
    step("DATA\r\n".to_owned(), "354", "DATA").await?;
    let date = chrono::Utc::now().to_rfc2822();
    let mut message = format!(
        "From: {from}\r\nTo: <{}>\r\nSubject: {subject}\r\nDate: {date}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        bare_address(to)
    );
    for line in body.lines() {
        // A line starting with a dot would end the message early: SMTP doubles it.
        if line.starts_with('.') {
            message.push('.');
        }
        message.push_str(line);
        message.push_str("\r\n");
    }
    message.push_str(".\r\n");
    step(message, "250", "the message").await?;
    step("QUIT\r\n".to_owned(), "221", "QUIT").await
}

/// Reads one reply (its continuation lines too) and checks that its code starts with `code`.
async fn expect(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, code: &str, what: &str) -> Result<(), String> {
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(STEP, read.read_line(&mut line))
            .await
            .map_err(|_| format!("{what}: the relay did not answer in time"))?
            .map_err(|e| format!("{what}: {e}"))?;
        if n == 0 {
            return Err(format!("{what}: the relay closed the connection"));
        }
        if !line.starts_with(code) {
            return Err(format!("{what}: the relay answered {:?}", line.trim_end()));
        }
        // `250-…` continues; `250 …` is the last line.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_come_out_of_mailboxes() {
        assert_eq!(bare_address("Tidings <news@example.org>"), "news@example.org");
        assert_eq!(bare_address(" news@example.org "), "news@example.org");
    }
}
