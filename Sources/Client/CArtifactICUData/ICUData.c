// The ICU data table of the release binary on Linux: `icudt76_dat`, defined here from the filtered
// table scripts/icu_data.py writes (3.9 MB: the language-independent data and the locales root and
// en; that script says what is left out and why), so the static link takes it and never the
// toolchain's 34 MB member of lib_FoundationICU.a. Debug builds and tests load Foundation's shared
// libraries with their own full table; this file is empty for them.
//
// The symbol name carries ICU's major version. scripts/package.sh checks that the binary holds this
// table; scripts/icu_data.py --check that the file matches the toolchain's ICU.
#if defined(ARTIFACTSTORE_FILTERED_ICU_DATA)
#pragma clang diagnostic ignored "-Wc23-extensions"
__attribute__((aligned(16))) const unsigned char icudt76_dat[] = {
#embed "icudt76l-filtered.dat"
};
#endif
