use trace_core::traced;

#[traced]
fn plain() {}

#[traced(name = "db.query", kind = "client", attrs(user_id, shown = %table, n = rows.len(), http.route = "/x", "error.type" = ?rows, %table), err(debug, event), ret)]
fn everything(user_id: u64, table: &str, rows: &[u8]) -> Result<u64, std::fmt::Error> {
    Ok(user_id + rows.len() as u64 + table.len() as u64)
}

#[traced(kind = "server")]
fn server() {}
#[traced(kind = "producer")]
fn producer() {}
#[traced(kind = "consumer")]
fn consumer() {}
#[traced(kind = "internal", err = false)]
fn internal() -> Result<(), ()> {
    Ok(())
}

fn main() {
    plain();
    everything(1, "t", &[1]).unwrap();
    server();
    producer();
    consumer();
}
