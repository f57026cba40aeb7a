//! Benchmarks of traced against its peers: see `benches/`.

/// Spans in an `ExportTraceServiceRequest` (protobuf), counted without decoding them:
/// `resource_spans` (1) > `scope_spans` (2) > `spans` (2); `None` for a malformed message.
/// What the benchmarks' receivers count.
pub fn count_spans(request: &[u8]) -> Option<u64> {
    let mut n = 0u64;
    for resource_spans in fields(request, 1)? {
        for scope_spans in fields(resource_spans, 2)? {
            n += u64::try_from(fields(scope_spans, 2)?.len()).ok()?;
        }
    }
    Some(n)
}

/// The length-delimited fields numbered `wanted` of one protobuf message.
fn fields(mut msg: &[u8], wanted: u64) -> Option<Vec<&[u8]>> {
    fn varint(buf: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = buf.split_first()?;
            *buf = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let mut out = Vec::new();
    while !msg.is_empty() {
        let key = varint(&mut msg)?;
        match key & 7 {
            0 => {
                varint(&mut msg)?;
            }
            1 => msg = msg.get(8..)?,
            2 => {
                let len = usize::try_from(varint(&mut msg)?).ok()?;
                let (field, rest) = (msg.get(..len)?, msg.get(len..)?);
                if key >> 3 == wanted {
                    out.push(field);
                }
                msg = rest;
            }
            5 => msg = msg.get(4..)?,
            _ => return None,
        }
    }
    Some(out)
}
