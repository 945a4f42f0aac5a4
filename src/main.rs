fn main() {
    std::process::exit(clavitor::cli::main());
}
