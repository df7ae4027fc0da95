//! Lets a build carry a version other than the crate's, so an operator (or a test) can build
//! a second release from the same source to rehearse an upgrade:
//! `DONATION_PLATFORM_VERSION=0.2.0 cargo build --release`.

fn main() {
    println!("cargo:rerun-if-env-changed=DONATION_PLATFORM_VERSION");
}
