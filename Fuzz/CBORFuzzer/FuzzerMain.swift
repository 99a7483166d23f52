/// The program's entry point in SwiftPM debug builds.
///
/// SwiftPM links debug executables with `main` renamed to `CBORFuzzer_main` (so tests can link
/// them), which would hide libFuzzer's own `main`; this hands control to libFuzzer's driver
/// instead. In release builds SwiftPM does not rename, and libFuzzer's `main` runs directly.
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt
) -> CInt

@_cdecl("CBORFuzzer_main")
public func cborFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return llvmFuzzerRunDriver(&argc, &argv) { start, count in cborFuzzerTestOneInput(start, count) }
}
