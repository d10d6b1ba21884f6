// docs/examples/site.toml as a site::Site, built by hand so the db tests do
// not depend on the site parser.
#pragma once

#include "site/site.h"

namespace gatehouse::test_support {

site::Site example_site();

}  // namespace gatehouse::test_support
