//! A DNS server of the tests' own, on a loopback UDP port: it answers A, AAAA and TXT questions
//! from records a test sets, counts the questions per name, and answers NXDOMAIN for the rest.
//! The server under test is pointed at it (`Config::dns_servers`), so domain verification and
//! the outbound guard's lookups never leave the machine. Answers live 0 seconds (no caching).

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Zone {
    records: HashMap<String, Vec<RData>>,
    asked: HashMap<String, usize>,
}

pub struct Dns {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    task: tokio::task::JoinHandle<()>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Dns {
    pub async fn start() -> Dns {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let zone: Arc<Mutex<Zone>> = Arc::default();
        let served = zone.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Ok(question) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let answer = answer(&served, &question);
                if let Ok(bytes) = answer.to_vec() {
                    let _ = socket.send_to(&bytes, peer).await;
                }
            }
        });
        Dns { addr, zone, task }
    }

    fn put(&self, name: &str, data: RData) {
        self.zone
            .lock()
            .unwrap()
            .records
            .entry(key(name))
            .or_default()
            .push(data);
    }

    /// Adds an address record (A or AAAA) for `name`.
    pub fn address(&self, name: &str, ip: IpAddr) {
        self.put(
            name,
            match ip {
                IpAddr::V4(v4) => RData::A(A(v4)),
                IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
            },
        );
    }

    /// Adds a TXT record for `name`.
    pub fn txt(&self, name: &str, value: &str) {
        self.put(name, RData::TXT(TXT::new(vec![value.to_owned()])));
    }

    /// Removes every record of `name`.
    pub fn remove(&self, name: &str) {
        self.zone.lock().unwrap().records.remove(&key(name));
    }

    /// How many questions were asked about `name` (any type).
    pub fn asked(&self, name: &str) -> usize {
        self.zone
            .lock()
            .unwrap()
            .asked
            .get(&key(name))
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(zone: &Mutex<Zone>, question: &Message) -> Message {
    let mut out = Message::response(question.metadata.id, question.metadata.op_code);
    out.metadata.message_type = MessageType::Response;
    out.metadata.authoritative = true;
    out.metadata.recursion_desired = question.metadata.recursion_desired;
    out.metadata.recursion_available = true;
    let mut zone = zone.lock().unwrap();
    let mut known = false;
    for q in &question.queries {
        out.add_query(q.clone());
        let name = key(&q.name().to_ascii());
        *zone.asked.entry(name.clone()).or_default() += 1;
        if let Some(records) = zone.records.get(&name) {
            known = true;
            for data in records {
                let fits = matches!(
                    (q.query_type(), data),
                    (RecordType::A, RData::A(_))
                        | (RecordType::AAAA, RData::AAAA(_))
                        | (RecordType::TXT, RData::TXT(_))
                );
                if fits {
                    out.add_answer(Record::from_rdata(
                        Name::from_ascii(&name).unwrap(),
                        0,
                        data.clone(),
                    ));
                }
            }
        }
    }
    if !known {
        out.metadata.response_code = ResponseCode::NXDomain;
    }
    out
}
