// Names the provider a fuzz_provider_<name> binary tests; CMake compiles this
// file once per provider with REBOUND_FUZZ_PROVIDER set (see provider_fuzzer.cpp).
#ifndef REBOUND_FUZZ_PROVIDER
#error "define REBOUND_FUZZ_PROVIDER to a registry name"
#endif

extern "C" char const rebound_fuzz_provider[] = REBOUND_FUZZ_PROVIDER;
