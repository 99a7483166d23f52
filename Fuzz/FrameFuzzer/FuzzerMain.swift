/// The program's entry point in SwiftPM debug builds: SwiftPM renames `main` to
/// `FrameFuzzer_main`, which would hide libFuzzer's; hand over to libFuzzer's driver (as
/// `Fuzz/CBORFuzzer/FuzzerMain.swift` does for the CBOR fuzzer).
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt
) -> CInt

@_cdecl("FrameFuzzer_main")
public func frameFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return llvmFuzzerRunDriver(&argc, &argv) { start, count in frameFuzzerTestOneInput(start, count) }
}
