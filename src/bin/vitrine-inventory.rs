//! Writes the data inventory, `privacy/inventory.json`, from [`vitrine::inventory`].
//!
//! `cargo run --bin vitrine-inventory` rewrites the file; `-- --check` only says whether it is
//! up to date (exit status 1 when not), for scripts. The unit tests check it as well.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("privacy/inventory.json");
    let wanted = vitrine::inventory::to_json();
    let check = std::env::args().skip(1).any(|a| a == "--check");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if check {
        if current == wanted {
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "{} is out of date: run `cargo run --bin vitrine-inventory`",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    if let Err(e) = std::fs::write(&path, wanted) {
        eprintln!("writing {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", path.display());
    ExitCode::SUCCESS
}
