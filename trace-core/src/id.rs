//! Trace and span identifiers, and the thread-local generator that makes them.

use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, Hasher};

/// A 16-byte trace identifier, shared by every span of one trace.
///
/// Displayed as 32 lowercase hex digits, as W3C Trace Context and OTLP/JSON write it.
///
/// # Examples
/// ```
/// use trace_core::TraceId;
/// let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
/// assert!(id.is_valid());
/// assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId([u8; 16]);

/// An 8-byte span identifier, unique within a trace.
///
/// Displayed as 16 lowercase hex digits.
///
/// # Examples
/// ```
/// use trace_core::SpanId;
/// let id = SpanId::from_hex("00f067aa0ba902b7").unwrap();
/// assert_eq!(format!("{id}"), "00f067aa0ba902b7");
/// assert!(!SpanId::INVALID.is_valid());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId([u8; 8]);

macro_rules! id_impl {
    ($ty:ident, $len:expr) => {
        impl $ty {
            /// The all-zero, invalid identifier.
            pub const INVALID: $ty = $ty([0; $len]);

            /// Builds an identifier from its bytes (big-endian, as on the wire).
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                $ty(bytes)
            }

            /// The identifier's bytes.
            pub const fn to_bytes(self) -> [u8; $len] {
                self.0
            }

            /// `false` for the all-zero identifier, which the specification forbids.
            pub fn is_valid(&self) -> bool {
                self.0 != [0; $len]
            }

            /// Parses exactly the hex digits W3C Trace Context allows: the right length and
            /// lowercase only. Returns `None` for anything else (the all-zero id parses; check
            /// [`is_valid`](Self::is_valid)).
            pub fn from_hex(hex: &str) -> Option<Self> {
                let bytes = hex.as_bytes();
                if bytes.len() != $len * 2 {
                    return None;
                }
                let mut out = [0u8; $len];
                for (i, pair) in bytes.chunks_exact(2).enumerate() {
                    out[i] = lower_hex_byte(pair[0], pair[1])?;
                }
                Some($ty(out))
            }
        }

        impl fmt::LowerHex for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = [0u8; $len * 2];
                write_hex(&self.0, &mut buf);
                // The buffer holds only ASCII hex digits.
                f.write_str(std::str::from_utf8(&buf).unwrap_or_default())
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(self, f)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self:x})", stringify!($ty))
            }
        }
    };
}

id_impl!(TraceId, 16);
id_impl!(SpanId, 8);

impl TraceId {
    /// A new random, valid trace id from the thread-local generator.
    #[inline]
    pub fn random() -> Self {
        loop {
            let (hi, lo) = next_u128();
            if hi != 0 || lo != 0 {
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&hi.to_be_bytes());
                b[8..].copy_from_slice(&lo.to_be_bytes());
                return TraceId(b);
            }
        }
    }
}

impl SpanId {
    /// A new random, valid span id from the thread-local generator.
    #[inline]
    pub fn random() -> Self {
        loop {
            let v = next_u64();
            if v != 0 {
                return SpanId(v.to_be_bytes());
            }
        }
    }
}

/// The value of one hex digit, either case (`0-9`, `a-f`, `A-F`): the one hex-digit rule
/// of the project. Percent-decoding uses it as is; W3C Trace Context narrows it to lowercase
/// ([`lower_hex_byte`]).
pub(crate) const fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The byte written by two hex digits, either case (`%XX` escapes).
pub(crate) const fn hex_byte(hi: u8, lo: u8) -> Option<u8> {
    match (hex_digit(hi), hex_digit(lo)) {
        (Some(h), Some(l)) => Some((h << 4) | l),
        _ => None,
    }
}

/// The byte written by two lowercase hex digits (W3C Trace Context allows no other case).
pub(crate) const fn lower_hex_byte(hi: u8, lo: u8) -> Option<u8> {
    if hi.is_ascii_uppercase() || lo.is_ascii_uppercase() {
        None
    } else {
        hex_byte(hi, lo)
    }
}

/// Writes `bytes` as lowercase hex into `out` (twice as long).
pub(crate) fn write_hex(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
    }
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// wyrand: a fast, statistically good (not cryptographic) generator; one state word per thread.
#[inline]
pub(crate) fn next_u64() -> u64 {
    RNG.try_with(|cell| {
        let mut s = cell.get();
        if s == 0 {
            s = seed();
        }
        s = s.wrapping_add(0xa076_1d64_78bd_642f);
        cell.set(s);
        mix(s)
    })
    .unwrap_or_else(|_| mix(seed()))
}

/// Two outputs of the generator with one visit to its state (a trace id's 16 bytes).
#[inline]
fn next_u128() -> (u64, u64) {
    RNG.try_with(|cell| {
        let mut s = cell.get();
        if s == 0 {
            s = seed();
        }
        let first = s.wrapping_add(0xa076_1d64_78bd_642f);
        let second = first.wrapping_add(0xa076_1d64_78bd_642f);
        cell.set(second);
        (mix(first), mix(second))
    })
    .unwrap_or_else(|_| (mix(seed()), mix(seed())))
}

#[inline]
fn mix(s: u64) -> u64 {
    let t = u128::from(s).wrapping_mul(u128::from(s ^ 0xe703_7ed1_a0b4_28db));
    #[allow(clippy::cast_possible_truncation)]
    let folded = ((t >> 64) as u64) ^ (t as u64);
    folded
}

fn seed() -> u64 {
    // RandomState is seeded from the OS once per process and varies per instance; mixing in
    // the thread id and the time keeps threads apart.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::from(d.subsec_nanos()) ^ d.as_secs()),
    );
    std::thread::current().id().hash_into(&mut h);
    h.finish() | 1
}

trait HashInto {
    fn hash_into(&self, h: &mut impl Hasher);
}

impl HashInto for std::thread::ThreadId {
    fn hash_into(&self, h: &mut impl Hasher) {
        std::hash::Hash::hash(self, h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let t = TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap();
        assert_eq!(t.to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(t.to_bytes()[0], 0x0a);
        let s = SpanId::from_hex("b7ad6b7169203331").unwrap();
        assert_eq!(format!("{s:x}"), "b7ad6b7169203331");
    }

    #[test]
    fn hex_rejects_bad_input() {
        assert!(TraceId::from_hex("0af7651916cd43dd8448eb211c80319").is_none());
        assert!(TraceId::from_hex("0AF7651916CD43DD8448EB211C80319C").is_none());
        assert!(SpanId::from_hex("b7ad6b716920333g").is_none());
        assert!(SpanId::from_hex("").is_none());
        assert!(!SpanId::from_hex("0000000000000000").unwrap().is_valid());
    }

    #[test]
    fn one_hex_digit_rule_two_cases() {
        for (c, v) in [
            (b'0', 0),
            (b'9', 9),
            (b'a', 10),
            (b'f', 15),
            (b'A', 10),
            (b'F', 15),
        ] {
            assert_eq!(hex_digit(c), Some(v));
        }
        for c in [b'g', b'G', b'/', b':', b'@', b'`', b' ', b'%', 0xff] {
            assert_eq!(hex_digit(c), None);
        }
        assert_eq!(hex_byte(b'e', b'9'), Some(0xe9));
        assert_eq!(hex_byte(b'E', b'9'), Some(0xe9));
        assert_eq!(hex_byte(b'z', b'9'), None);
        assert_eq!(lower_hex_byte(b'e', b'9'), Some(0xe9));
        assert_eq!(lower_hex_byte(b'E', b'9'), None);
        assert_eq!(lower_hex_byte(b'e', b'F'), None);
    }

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = SpanId::random();
            assert!(id.is_valid());
            assert!(seen.insert(id));
        }
        assert_ne!(TraceId::random(), TraceId::random());
    }

    #[test]
    fn threads_get_different_streams() {
        let a = std::thread::spawn(|| (0..4).map(|_| next_u64()).collect::<Vec<_>>());
        let b = std::thread::spawn(|| (0..4).map(|_| next_u64()).collect::<Vec<_>>());
        assert_ne!(a.join().unwrap(), b.join().unwrap());
    }
}
