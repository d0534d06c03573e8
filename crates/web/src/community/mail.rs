//! Password-reset mail, sent over SMTP to the configured relay (`[accounts] smtp_url`): plain to the host's own
//! mail server or a relay on the local network, or over TLS (from the start, or after STARTTLS) with an optional
//! `AUTH PLAIN` login to a provider's relay. A few lines of the protocol are all a relay needs, so no mail
//! library is pulled in.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tidings_core::config::{SmtpRelay, SmtpSecurity};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
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

/// The TLS settings for relays: the system's trusted certificates, checked as a browser would.
fn system_tls() -> Result<Arc<ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            if rustls::crypto::CryptoProvider::get_default().is_none() {
                // Another thread may have installed one meanwhile; either will do.
                let _ = rustls::crypto::ring::default_provider().install_default();
            }
            use rustls_platform_verifier::ConfigVerifierExt;
            ClientConfig::with_platform_verifier()
                .map(Arc::new)
                .map_err(|e| format!("setting up TLS for the mail relay: {e}"))
        })
        .clone()
}

/// Sends one plain-text mail to `to` through `relay`. Errors name the step (never the password).
pub(crate) async fn send(relay: &SmtpRelay, from: &str, to: &str, subject: &str, body: &str) -> Result<(), String> {
    send_with(relay, system_tls, from, to, subject, body).await
}

/// [`send`], with the TLS settings `tls` gives (tests trust their own certificate).
async fn send_with(
    relay: &SmtpRelay,
    tls: impl Fn() -> Result<Arc<ClientConfig>, String>,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), String> {
    let address = relay.address();
    let tcp = tokio::time::timeout(STEP, TcpStream::connect(&address))
        .await
        .map_err(|_| format!("connecting to the mail relay {address}: timed out"))?
        .map_err(|e| format!("connecting to the mail relay {address}: {e}"))?;
    let message = Message { login: relay.login.as_ref(), from, to, subject, body };
    match relay.security {
        SmtpSecurity::Plain => {
            let mut conn = BufReader::new(tcp);
            expect(&mut conn, "220", "the relay's greeting").await?;
            converse(&mut conn, &message).await
        }
        SmtpSecurity::Tls => {
            let mut conn = BufReader::new(handshake(tcp, &relay.host, tls()?).await?);
            expect(&mut conn, "220", "the relay's greeting").await?;
            converse(&mut conn, &message).await
        }
        SmtpSecurity::StartTls => {
            let mut plain = BufReader::new(tcp);
            expect(&mut plain, "220", "the relay's greeting").await?;
            step(&mut plain, "EHLO tidings\r\n", "250", "EHLO").await?;
            step(&mut plain, "STARTTLS\r\n", "220", "STARTTLS").await?;
            // Anything read past the relay's go-ahead was sent before TLS, by whoever sits in between.
            if !plain.buffer().is_empty() {
                return Err("STARTTLS: the relay sent data before the TLS handshake".to_owned());
            }
            let mut conn = BufReader::new(handshake(plain.into_inner(), &relay.host, tls()?).await?);
            converse(&mut conn, &message).await
        }
    }
}

async fn handshake(
    tcp: TcpStream,
    host: &str,
    tls: Arc<ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let name = ServerName::try_from(host.to_owned()).map_err(|e| format!("the mail relay's name {host:?}: {e}"))?;
    tokio::time::timeout(STEP, tokio_rustls::TlsConnector::from(tls).connect(name, tcp))
        .await
        .map_err(|_| format!("TLS with the mail relay {host}: timed out"))?
        .map_err(|e| format!("TLS with the mail relay {host}: {e}"))
}

struct Message<'a> {
    login: Option<&'a (String, String)>,
    from: &'a str,
    to: &'a str,
    subject: &'a str,
    body: &'a str,
}

/// Everything after the greeting: EHLO, the login if any, the envelope, the message and QUIT.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(conn: &mut BufReader<S>, m: &Message<'_>) -> Result<(), String> {
    step(conn, "EHLO tidings\r\n", "250", "EHLO").await?;
    if let Some((user, password)) = m.login {
        let plain = base64(format!("\0{user}\0{password}").as_bytes());
        step(conn, &format!("AUTH PLAIN {plain}\r\n"), "235", "AUTH (the relay's user name and password)").await?;
    }
    step(conn, &format!("MAIL FROM:<{}>\r\n", bare_address(m.from)), "250", "MAIL FROM").await?;
    step(conn, &format!("RCPT TO:<{}>\r\n", bare_address(m.to)), "25", "RCPT TO").await?;
    step(conn, "DATA\r\n", "354", "DATA").await?;
    let date = chrono::Utc::now().to_rfc2822();
    // Large mail services refuse a message without one, and a relay a client logs in to may not add it.
    let domain = bare_address(m.from).rsplit_once('@').map_or("tidings.invalid", |(_, domain)| domain);
    let id = tidings_community::tokens::new_token().ok_or("no random numbers for the Message-ID")?;
    let mut message = format!(
        "From: {}\r\nTo: <{}>\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{}@{domain}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        m.from,
        bare_address(m.to),
        m.subject,
        &id[..32]
    );
    for line in m.body.lines() {
        // A line starting with a dot would end the message early: SMTP doubles it.
        if line.starts_with('.') {
            message.push('.');
        }
        message.push_str(line);
        message.push_str("\r\n");
    }
    message.push_str(".\r\n");
    step(conn, &message, "250", "the message").await?;
    step(conn, "QUIT\r\n", "221", "QUIT").await
}

/// Sends `command` and checks the reply's code.
async fn step<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    command: &str,
    code: &str,
    what: &str,
) -> Result<(), String> {
    let write = async {
        conn.get_mut().write_all(command.as_bytes()).await?;
        conn.get_mut().flush().await
    };
    tokio::time::timeout(STEP, write)
        .await
        .map_err(|_| format!("{what}: timed out"))?
        .map_err(|e| format!("{what}: {e}"))?;
    expect(conn, code, what).await
}

/// Reads one reply (its continuation lines too) and checks that its code starts with `code`.
async fn expect<R: AsyncBufRead + Unpin>(read: &mut R, code: &str, what: &str) -> Result<(), String> {
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

/// Standard base64 with padding (for `AUTH PLAIN`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::sync::mpsc;

    #[test]
    fn base64_matches_the_standard_vectors() {
        let vectors =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(b"\0user\0pass"), "AHVzZXIAcGFzcw==");
    }

    /// A certificate for "localhost" and TLS settings on both sides that trust it.
    fn tls_pair() -> (Arc<rustls::ServerConfig>, Arc<ClientConfig>) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = certified.cert.der().clone();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let server =
            rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(vec![cert.clone()], key).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let client = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
        (Arc::new(server), Arc::new(client))
    }

    /// Serves one SMTP conversation on loopback, over TLS from the start or after STARTTLS; hands over every
    /// command line it gets (the message's lines too).
    async fn relay(starttls: bool, server: Arc<rustls::ServerConfig>) -> (u16, mpsc::UnboundedReceiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(server);
            if starttls {
                let mut plain = BufReader::new(&mut tcp);
                plain.get_mut().write_all(b"220 relay.test ESMTP\r\n").await.unwrap();
                let mut line = String::new();
                plain.read_line(&mut line).await.unwrap();
                tx.send(line.trim_end().to_owned()).unwrap();
                plain.get_mut().write_all(b"250-relay.test\r\n250 STARTTLS\r\n").await.unwrap();
                line.clear();
                plain.read_line(&mut line).await.unwrap();
                tx.send(line.trim_end().to_owned()).unwrap();
                plain.get_mut().write_all(b"220 go ahead\r\n").await.unwrap();
            }
            // A client that does not trust the certificate ends the handshake: nothing more to serve.
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let mut conn = BufReader::new(tls);
            if !starttls {
                conn.get_mut().write_all(b"220 relay.test ESMTP\r\n").await.unwrap();
            }
            let mut in_data = false;
            loop {
                let mut line = String::new();
                if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end().to_owned();
                tx.send(line.clone()).unwrap();
                let reply: &[u8] = if in_data {
                    if line == "." {
                        in_data = false;
                        b"250 queued\r\n"
                    } else {
                        continue;
                    }
                } else {
                    match line.get(..4).unwrap_or("") {
                        "EHLO" => b"250-relay.test\r\n250 AUTH PLAIN\r\n",
                        "AUTH" => b"235 welcome\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    }
                };
                conn.get_mut().write_all(reply).await.unwrap();
                conn.get_mut().flush().await.unwrap();
            }
        });
        (port, rx)
    }

    fn lines(mut rx: mpsc::UnboundedReceiver<String>) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(line) = rx.try_recv() {
            out.push(line);
        }
        out
    }

    #[tokio::test]
    async fn mail_goes_over_tls_with_a_login_from_the_start_or_after_starttls() {
        for security in [SmtpSecurity::Tls, SmtpSecurity::StartTls] {
            let (server, client) = tls_pair();
            let (port, rx) = relay(security == SmtpSecurity::StartTls, server).await;
            let login = Some(("news@example.org".to_owned(), "pa:ss".to_owned()));
            let relay = SmtpRelay { host: "localhost".into(), port, security, login };
            let sent = send_with(
                &relay,
                || Ok(client.clone()),
                "Tidings <news@example.org>",
                "reader@example.org",
                "Reset",
                ".hidden line\nbye",
            )
            .await;
            assert_eq!(sent, Ok(()), "{security:?}");
            let got = lines(rx);
            let auth = got.iter().find(|l| l.starts_with("AUTH PLAIN ")).unwrap_or_else(|| panic!("{got:?}"));
            assert_eq!(auth, &format!("AUTH PLAIN {}", base64(b"\0news@example.org\0pa:ss")));
            assert!(got.contains(&"..hidden line".to_owned()) && got.contains(&"Subject: Reset".to_owned()), "{got:?}");
            assert!(got.iter().any(|l| l.starts_with("Message-ID: <") && l.ends_with("@example.org>")), "{got:?}");
            if security == SmtpSecurity::StartTls {
                assert_eq!(got[..2], ["EHLO tidings".to_owned(), "STARTTLS".to_owned()], "nothing but EHLO in clear");
            }
        }
    }

    #[tokio::test]
    async fn a_relay_whose_certificate_is_not_trusted_gets_nothing() {
        let (server, _) = tls_pair();
        let (_, untrusted) = tls_pair();
        let (port, rx) = relay(false, server).await;
        let login = Some(("user".to_owned(), "secret".to_owned()));
        let relay = SmtpRelay { host: "localhost".into(), port, security: SmtpSecurity::Tls, login };
        let sent = send_with(&relay, || Ok(untrusted.clone()), "a@b.c", "d@e.f", "s", "b").await;
        let error = sent.unwrap_err();
        assert!(error.starts_with("TLS with the mail relay localhost: "), "{error}");
        assert!(!error.contains("secret"));
        assert!(lines(rx).is_empty(), "the login never left");
    }

    #[test]
    fn addresses_come_out_of_mailboxes() {
        assert_eq!(bare_address("Tidings <news@example.org>"), "news@example.org");
        assert_eq!(bare_address(" news@example.org "), "news@example.org");
    }
}
