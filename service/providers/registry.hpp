// Maps /v1/webhooks/{provider} to its provider object.
#pragma once

#include "providers/provider.hpp"

#include <span>
#include <string_view>

namespace rebound::providers {

/// The provider registered under `name`, or nullptr.
provider const* find(std::string_view name) noexcept;

/// Every registered provider, in registry order.
std::span<provider const* const> all() noexcept;

// One factory per provider file; registry.cpp lists them.
provider const& sendgrid();
provider const& ses();
provider const& mailgun();
provider const& postmark();
provider const& sparkpost();
provider const& mailjet();
provider const& brevo();
provider const& customers_mail_cloud();  // registered as "cmc"
provider const& blastengine();
provider const& generic();

}  // namespace rebound::providers
