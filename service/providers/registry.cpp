// The provider registry. Adding an ESP: write providers/<esp>.cpp with a
// factory function, declare it in registry.hpp, and add one line below.
#include "providers/registry.hpp"

#include <array>

namespace rebound::providers {

namespace {

std::array<provider const*, 10> const&
registered()
{
    static std::array<provider const*, 10> const list{
        &sendgrid(),
        &ses(),
        &mailgun(),
        &postmark(),
        &sparkpost(),
        &mailjet(),
        &brevo(),
        &customers_mail_cloud(),
        &blastengine(),
        &generic(),
    };
    return list;
}

}  // namespace

provider const*
find(std::string_view name) noexcept
{
    for (auto const* p : registered())
        if (p->name() == name) return p;
    return nullptr;
}

std::span<provider const* const>
all() noexcept
{
    return registered();
}

}  // namespace rebound::providers
