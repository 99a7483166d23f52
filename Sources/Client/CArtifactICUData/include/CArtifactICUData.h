// CArtifactICUData exports no C interface: it only defines ICU's data table for the static link
// (ICUData.c). This header exists because SwiftPM expects a C target to have one.
