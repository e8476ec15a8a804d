// The one Catch2 main shared by the unit and integration suites.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
