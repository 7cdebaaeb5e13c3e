//! A DNS server for the domain tests, on a port of 127.0.0.1: it answers
//! TXT queries from a table the test fills, and "no such name" otherwise,
//! as a zone's name server would.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use hickory_proto::{
    op::{Message, ResponseCode},
    rr::{rdata::TXT, RData, Record, RecordType},
};
use tokio::net::UdpSocket;

#[derive(Clone)]
pub struct FakeDns {
    pub addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl FakeDns {
    pub async fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind a UDP port");
        let addr = socket.local_addr().unwrap();
        let records: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
        let table = Arc::clone(&records);
        tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let mut answer = Message::response(query.metadata.id, query.metadata.op_code);
                answer.metadata.recursion_desired = query.metadata.recursion_desired;
                answer.metadata.recursion_available = true;
                let mut found = false;
                for q in &query.queries {
                    answer.add_query(q.clone());
                    let name = q
                        .name()
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase();
                    let values = table.lock().unwrap().get(&name).cloned();
                    if let (RecordType::TXT, Some(values)) = (q.query_type(), values) {
                        for value in values {
                            let rdata = RData::TXT(TXT::new(vec![value]));
                            answer.add_answer(Record::from_rdata(q.name().clone(), 60, rdata));
                            found = true;
                        }
                    }
                }
                if !found {
                    answer.metadata.response_code = ResponseCode::NXDomain;
                }
                if let Ok(bytes) = answer.to_vec() {
                    let _ = socket.send_to(&bytes, peer).await;
                }
            }
        });
        Self { addr, records }
    }

    /// Publishes a TXT record (a name may hold several).
    pub fn publish(&self, name: &str, value: &str) {
        self.records
            .lock()
            .unwrap()
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.to_owned());
    }

    /// `organizations.domains.dns_server`, quoted for an override.
    pub fn setting(&self) -> String {
        format!("\"{}\"", self.addr)
    }
}
