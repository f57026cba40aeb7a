//! A misspelled `OTEL_*` variable is named once on stderr with the nearest known name, and
//! is not an error. The test runs itself as a child process to read its stderr.

use std::process::Command;

const CHILD: &str = "TRACED_UNKNOWN_ENV_CHILD";

#[test]
fn misspelled_variable_is_named_once_with_the_nearest_name() {
    if std::env::var_os(CHILD).is_some() {
        // The child: set up twice; the warning must appear once.
        for _ in 0..2 {
            let guard = trace_exporters::init_from_env().expect("a misspelling is not an error");
            guard.shutdown().expect("shutdown");
        }
        let _ = trace_exporters::builder_from_env().expect("still not an error");
        return;
    }
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "misspelled_variable_is_named_once_with_the_nearest_name",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("OTEL_TRACES_EXPORTER", "none")
        .env("OTEL_EXPORTER_OTLP_ENDPIONT", "http://127.0.0.1:4318")
        .env("OTEL_METRICS_EXPORTER", "none")
        .output()
        .expect("child ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stderr}");
    let line = "traced: OTEL_EXPORTER_OTLP_ENDPIONT is not a variable traced reads; \
                did you mean OTEL_EXPORTER_OTLP_ENDPOINT?";
    assert_eq!(stderr.matches(line).count(), 1, "{stderr}");
    // Variables of other signals are not ours to question.
    assert!(!stderr.contains("OTEL_METRICS_EXPORTER"), "{stderr}");
}
