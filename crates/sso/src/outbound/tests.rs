//! The guard's checks, one trick each, and its promise that what was checked is what is
//! reached: one lookup per connection, no second resolution.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

fn guard(allow_private: bool) -> Outbound {
    Outbound::new(&OutboundPolicy {
        allow_private,
        dns_servers: Vec::new(),
    })
}

#[test]
fn every_private_or_special_address_is_refused_and_public_ones_pass() {
    for (ip, class) in [
        ("127.0.0.1", Forbidden::Loopback),
        ("127.255.0.9", Forbidden::Loopback),
        ("10.1.2.3", Forbidden::Private),
        ("172.16.0.1", Forbidden::Private),
        ("172.31.255.255", Forbidden::Private),
        ("192.168.1.1", Forbidden::Private),
        ("169.254.169.254", Forbidden::LinkLocal),
        ("100.64.0.1", Forbidden::SharedAddressSpace),
        ("100.127.255.254", Forbidden::SharedAddressSpace),
        ("224.0.0.1", Forbidden::Multicast),
        ("0.0.0.0", Forbidden::Unspecified),
        ("0.1.2.3", Forbidden::Unspecified),
        ("255.255.255.255", Forbidden::Reserved),
        ("192.0.2.10", Forbidden::Reserved),
        ("::1", Forbidden::Loopback),
        ("::", Forbidden::Unspecified),
        ("fc00::1", Forbidden::Private),
        ("fd12:3456::1", Forbidden::Private),
        ("fe80::1", Forbidden::LinkLocal),
        ("ff02::1", Forbidden::Multicast),
        ("::ffff:127.0.0.1", Forbidden::Loopback),
        ("::ffff:169.254.169.254", Forbidden::LinkLocal),
        ("64:ff9b::a00:1", Forbidden::Private),
        ("2002:c0a8:101::1", Forbidden::Private),
        ("2001:db8::1", Forbidden::Reserved),
    ] {
        assert_eq!(classify(ip.parse().unwrap()), Some(class), "{ip}");
    }
    for ip in [
        "93.184.216.34",
        "172.32.0.1",
        "100.128.0.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
    ] {
        assert_eq!(classify(ip.parse().unwrap()), None, "{ip}");
    }
}

#[test]
fn urls_are_refused_before_anything_is_sent() {
    let g = guard(false);
    for (url, why) in [
        ("http://idp.example.com/", "only https"),
        (
            "https://localhost:x@idp.example.com/",
            "user name or password",
        ),
        ("http://localhost:x@idp.example.com/", "only https"),
        ("https://user@idp.example.com/", "user name or password"),
        ("https://127.0.0.1/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.0.0.1/", "private"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://2130706433/", "loopback"),
        ("ftp://idp.example.com/", "only https"),
        ("not a url", "is not a URL"),
    ] {
        let e = g.check_url(url).unwrap_err().to_string();
        assert!(e.contains(why), "{url}: {e}");
    }
    assert!(g.check_url("https://idp.example.com/.well-known/x").is_ok());
    // The development switch lets loopback and http through; userinfo never.
    let dev = guard(true);
    assert!(dev.check_url("http://127.0.0.1:8080/").is_ok());
    assert!(dev.check_url("http://u:p@127.0.0.1/").is_err());
}

/// A resolver whose answer changes after the first question, counting the questions.
struct Rebinding {
    asked: AtomicUsize,
    first: Vec<IpAddr>,
    then: Vec<IpAddr>,
}

impl Lookup for Rebinding {
    fn lookup(
        &self,
        _: String,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, String>> + Send>> {
        let n = self.asked.fetch_add(1, Ordering::SeqCst);
        let answer = if n == 0 {
            self.first.clone()
        } else {
            self.then.clone()
        };
        Box::pin(async move { Ok(answer) })
    }
}

/// The name is refused on the one answer asked for; nothing else is asked, nothing is reached.
#[tokio::test]
async fn a_refused_name_is_asked_once_and_nothing_is_reached() {
    let canary = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = canary.local_addr().unwrap().port();
    let lookup = Arc::new(Rebinding {
        asked: AtomicUsize::new(0),
        first: vec!["127.0.0.1".parse().unwrap()],
        then: vec!["127.0.0.1".parse().unwrap()],
    });
    let g = Outbound::with_lookup(&OutboundPolicy::default(), lookup.clone());
    let e = g
        .get_text(&format!("https://rebind.test:{port}/metadata"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        OutboundError::Forbidden {
            host: "rebind.test".into(),
            class: Forbidden::Loopback
        }
    );
    assert_eq!(lookup.asked.load(Ordering::SeqCst), 1);
    let reached = tokio::time::timeout(Duration::from_millis(200), canary.accept()).await;
    assert!(reached.is_err(), "the canary was reached");
}

/// What was checked is what is reached: the answer of the one lookup, never a later one.
#[tokio::test]
async fn the_connection_goes_to_the_checked_address_not_a_second_answer() {
    let checked = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = checked.local_addr().unwrap().port();
    let elsewhere = tokio::net::TcpListener::bind(("127.0.0.2", port)).await;
    let lookup = Arc::new(Rebinding {
        asked: AtomicUsize::new(0),
        first: vec!["127.0.0.1".parse().unwrap()],
        then: vec!["127.0.0.2".parse().unwrap()],
    });
    // Development mode lets loopback and http through, so the request is made.
    let g = Outbound::with_lookup(
        &OutboundPolicy {
            allow_private: true,
            dns_servers: Vec::new(),
        },
        lookup.clone(),
    );
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut s, _) = checked.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .await
            .unwrap();
    });
    let body = g
        .get_text(&format!("http://rebind.test:{port}/"))
        .await
        .unwrap();
    assert_eq!(body, "ok");
    server.await.unwrap();
    assert_eq!(lookup.asked.load(Ordering::SeqCst), 1);
    if let Ok(other) = elsewhere {
        let reached = tokio::time::timeout(Duration::from_millis(100), other.accept()).await;
        assert!(reached.is_err(), "the second answer was reached");
    }
}

/// Redirects are refused, and an answer over the cap is refused, without quoting either.
#[tokio::test]
async fn redirects_and_oversized_answers_are_refused_without_quoting_them() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        for answer in [
            b"HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
            {
                let mut a = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    MAX_BODY + 10
                )
                .into_bytes();
                a.extend(std::iter::repeat_n(b's', MAX_BODY + 10));
                a
            },
            b"HTTP/1.1 500 Oops\r\ncontent-length: 14\r\nconnection: close\r\n\r\nsecret-secret!".to_vec(),
        ] {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(&answer).await;
        }
    });
    let g = guard(true);
    let url = format!("http://127.0.0.1:{port}/");
    assert_eq!(
        g.get_text(&url).await.unwrap_err(),
        OutboundError::Redirect(302)
    );
    assert_eq!(g.get_text(&url).await.unwrap_err(), OutboundError::TooLarge);
    let e = g.get_text(&url).await.unwrap_err();
    assert_eq!(e, OutboundError::Status(500));
    assert!(!e.to_string().contains("secret"));
}
