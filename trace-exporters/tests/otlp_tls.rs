//! `https://` export (feature `tls`): a rustls server on 127.0.0.1 with a
//! certificate from a private authority made for the test; the exporter
//! trusts it only when told to, and presents a client certificate when the
//! server asks for one.
#![cfg(feature = "tls")]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use support::spans::{assert_request, resource, sample_spans};
use trace_core::SpanExporter as _;
use trace_exporters::{OtlpExporter, RetryConfig};

/// A certificate authority and two leaf certificates it signed.
struct Pki {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    client_pem: String,
    client_key_pem: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let server_key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("server params")
        .signed_by(&server_key, &ca, &ca_key)
        .expect("server certificate");
    let client_key = KeyPair::generate().expect("client key");
    let client = CertificateParams::new(vec!["client.test".to_owned()])
        .expect("client params")
        .signed_by(&client_key, &ca, &ca_key)
        .expect("client certificate");
    Pki {
        ca_pem: ca.pem(),
        server_chain: vec![server.der().clone()],
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        client_pem: client.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

/// An HTTPS server answering 200 to every request; counts the requests that
/// got through the handshake and keeps their bodies.
struct TlsServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

fn tls_server(pki: &Pki, require_client_cert: bool) -> TlsServer {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("protocol versions");
    let builder = if require_client_cert {
        let mut roots = RootCertStore::empty();
        for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(pki.ca_pem.as_bytes()) {
            roots.add(cert.expect("CA pem")).expect("add CA");
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .expect("client verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = Arc::new(
        builder
            .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
            .expect("server certificate"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let requests = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let requests = Arc::clone(&requests);
        let bodies = Arc::clone(&bodies);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = Arc::clone(&config);
                let requests = Arc::clone(&requests);
                let bodies = Arc::clone(&bodies);
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let Ok(conn) = ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = BufReader::new(StreamOwned::new(conn, stream));
                    loop {
                        let mut len = 0usize;
                        let mut line = String::new();
                        loop {
                            line.clear();
                            match tls.read_line(&mut line) {
                                Ok(0) | Err(_) => return,
                                Ok(_) => {}
                            }
                            let l = line.trim_end();
                            if l.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = l.split_once(':') {
                                if k.eq_ignore_ascii_case("content-length") {
                                    len = v.trim().parse().unwrap_or(0);
                                }
                            }
                        }
                        let mut body = vec![0; len];
                        if tls.read_exact(&mut body).is_err() {
                            return;
                        }
                        requests.fetch_add(1, Ordering::SeqCst);
                        bodies.lock().expect("bodies").push(body);
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if tls
                            .get_mut()
                            .write_all(reply)
                            .and_then(|()| tls.get_mut().flush())
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
    }
    TlsServer {
        addr,
        requests,
        bodies,
    }
}

fn url(server: &TlsServer) -> String {
    format!("https://{}/v1/traces", server.addr)
}

fn no_retry() -> RetryConfig {
    RetryConfig::disabled()
}

#[test]
fn https_with_a_trusted_private_authority() {
    let pki = pki();
    let server = tls_server(&pki, false);
    let mut exporter = OtlpExporter::builder()
        .endpoint(url(&server))
        .root_certificates_pem(pki.ca_pem.clone())
        .build()
        .expect("exporter");
    exporter.set_resource(&resource());
    let spans = sample_spans();
    exporter.export(&spans).expect("export over https");
    let bodies = server.bodies.lock().expect("bodies").clone();
    assert_eq!(bodies.len(), 1);
    let req = ExportTraceServiceRequest::decode(&bodies[0][..]).expect("protobuf");
    assert_request(&req, &resource(), &spans);
}

#[test]
fn https_refuses_an_untrusted_certificate() {
    let pki = pki();
    let server = tls_server(&pki, false);
    // The bundled web roots do not know the test authority.
    let exporter = OtlpExporter::builder()
        .endpoint(url(&server))
        .retry(no_retry())
        .build()
        .expect("exporter");
    let err = exporter
        .export(&sample_spans())
        .expect_err("untrusted certificate");
    assert!(!err.to_string().is_empty());
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        0,
        "no request got through"
    );
    assert_eq!(exporter.stats().failed_spans, 5);
}

#[test]
fn mutual_tls_presents_the_client_certificate() {
    let pki = pki();
    let server = tls_server(&pki, true);
    let without = OtlpExporter::builder()
        .endpoint(url(&server))
        .root_certificates_pem(pki.ca_pem.clone())
        .retry(no_retry())
        .build()
        .expect("exporter");
    without
        .export(&sample_spans())
        .expect_err("the server wants a client certificate");
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);

    let with = OtlpExporter::builder()
        .endpoint(url(&server))
        .root_certificates_pem(pki.ca_pem.clone())
        .client_identity_pem(pki.client_pem.clone(), pki.client_key_pem.clone())
        .build()
        .expect("exporter");
    with.export(&sample_spans()).expect("mutual TLS");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn bad_pem_is_a_config_error() {
    let e = OtlpExporter::builder()
        .endpoint("https://127.0.0.1:1/v1/traces")
        .root_certificates_pem("not a certificate")
        .build()
        .expect_err("no certificate in it");
    assert_eq!(e.variable(), "OtlpExporterBuilder::root_certificates_pem");
    let pki = pki();
    let e = OtlpExporter::builder()
        .client_identity_pem(pki.client_pem.clone(), "not a key")
        .build()
        .expect_err("no key in it");
    assert_eq!(e.variable(), "OtlpExporterBuilder::client_identity_pem");
}

#[test]
fn init_from_env_reads_the_certificate_files() {
    let pki = pki();
    let server = tls_server(&pki, true);
    let dir = std::env::temp_dir().join(format!("traced-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write pem");
        path.to_string_lossy().into_owned()
    };
    let ca = write("ca.pem", &pki.ca_pem);
    let cert = write("client.pem", &pki.client_pem);
    let key = write("client.key", &pki.client_key_pem);
    // The only test here that touches the environment or the global tracer.
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url(&server));
    std::env::set_var("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca);
    std::env::set_var("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert);
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", &key);
    let guard = trace_exporters::init_from_env().expect("valid configuration");
    drop(trace_core::span("over-mtls").start());
    guard.shutdown().expect("exported over mutual TLS");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);

    std::env::set_var("OTEL_EXPORTER_OTLP_CERTIFICATE", dir.join("missing.pem"));
    let e = trace_exporters::init_from_env().expect_err("missing file");
    assert_eq!(e.variable(), "OTEL_EXPORTER_OTLP_CERTIFICATE");
    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
    ] {
        std::env::remove_var(name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
