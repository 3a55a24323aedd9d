// Anchors the error types' vtables in one translation unit.
#include "core/errors.hpp"
