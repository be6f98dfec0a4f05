//! The shape of a JSON document as `serde_json` reads it: how deep it
//! nests, the most members of one object, whether an object repeats a
//! member name (as decoded text), and whether a member name was written
//! with an escape.
//!
//! `serde_json` hands a visitor a borrowed `&str` exactly when the string
//! had no escape sequence, which tells escaped member names apart.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// What [`fapi_core::json::check`] limits, measured independently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Whether the top-level value is an object.
    pub top_object: bool,
    /// Nesting depth of objects and arrays (the top-level object is 1).
    pub depth: usize,
    /// The most members of any one object.
    pub max_members: usize,
    /// Whether some object names a member twice.
    pub duplicate: bool,
    /// Whether some member name contains an escape sequence.
    pub escaped_name: bool,
}

impl Shape {
    fn merge(&mut self, inner: Shape) {
        self.depth = self.depth.max(inner.depth);
        self.max_members = self.max_members.max(inner.max_members);
        self.duplicate |= inner.duplicate;
        self.escaped_name |= inner.escaped_name;
    }
}

/// Reads `doc` with `serde_json` and describes it.
pub fn of(doc: &[u8]) -> Result<Shape, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(doc);
    let mut shape = ShapeSeed { level: 0 }.deserialize(&mut de)?;
    de.end()?;
    shape.top_object = shape.top_object && shape.depth >= 1;
    Ok(shape)
}

struct ShapeSeed {
    level: usize,
}

impl<'de> DeserializeSeed<'de> for ShapeSeed {
    type Value = Shape;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeVisitor { level: self.level })
    }
}

struct ShapeVisitor {
    level: usize,
}

macro_rules! scalar {
    ($($name:ident: $t:ty),*) => {$(
        fn $name<E>(self, _: $t) -> Result<Shape, E> {
            Ok(Shape { depth: self.level, ..Shape::default() })
        }
    )*};
}

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalar!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape {
            depth: self.level,
            ..Shape::default()
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let level = self.level + 1;
        let mut shape = Shape {
            depth: level,
            ..Shape::default()
        };
        while let Some(inner) = seq.next_element_seed(ShapeSeed { level })? {
            shape.merge(inner);
        }
        Ok(shape)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let level = self.level + 1;
        let mut shape = Shape {
            top_object: self.level == 0,
            depth: level,
            ..Shape::default()
        };
        let mut names = HashSet::new();
        let mut members = 0usize;
        while let Some(name) = map.next_key_seed(NameSeed)? {
            members += 1;
            shape.escaped_name |= name.escaped;
            shape.duplicate |= !names.insert(name.text);
            let inner = map.next_value_seed(ShapeSeed { level })?;
            shape.merge(inner);
        }
        shape.max_members = shape.max_members.max(members);
        Ok(shape)
    }
}

struct Name {
    text: String,
    escaped: bool,
}

struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Name;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Name, D::Error> {
        d.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name, E> {
        Ok(Name {
            text: v.to_owned(),
            escaped: false,
        })
    }

    fn visit_str<E>(self, v: &str) -> Result<Name, E> {
        Ok(Name {
            text: v.to_owned(),
            escaped: true,
        })
    }
}
