// The rule tables. Fragments are facts about what receiving servers write,
// collected from Sisimai's tables (go-sisimai 5.2, see the taxonomy note),
// provider documentation and the ESP samples in ../shared; the selection and
// the precedence are ours. All fragments are lower-case; matching is
// case-insensitive and whitespace-tolerant (multi_matcher).
#include "classify/rules.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <iterator>
#include <utility>

namespace rebound::classify::rules {

namespace {

using enum bounce_reason;

// ---------------------------------------------------------------------------
// Wording

constexpr text_rule provider_rules[] = {
    // Gmail and Google Workspace
    {userunknown, "the email account that you tried to reach does not exist"},
    {suspend, "the email account that you tried to reach is disabled"},
    {suspend, "the email account that you tried to reach is inactive"},
    {mailboxfull, "inbox is out of storage space"},
    {mailboxfull, "the email account that you tried to reach is over quota"},
    {ratelimited, "receiving mail at a rate that prevents additional messages"},
    {ratelimited, "daily user sending limit exceeded"},
    {blocked, "unusual rate of unsolicited mail"},
    {blocked, "ip not in whitelist for rcpt domain"},
    {blocked, "try again later, closing connection"},
    {badreputation, "very low reputation of the sending"},
    {authfailure, "is not accepted due to domain's dmarc policy"},
    {authfailure, "fails to pass authentication checks"},
    {authfailure, "does not have authentication information"},
    {authfailure, "has an spf record with a hard fail policy"},
    {authfailure, "fails to pass spf checks"},
    {authfailure, "senders to authenticate with"},
    {authfailure, "spf record of the sending domain"},
    {authfailure, "aligned with either the authenticated spf or dkim"},
    {authfailure, "to add a dmarc record"},
    {failedstarttls, "tls required for rcpt domain"},
    {failedstarttls, "senders to use tls/ssl"},
    {failedstarttls, "must issue a starttls command first"},
    {emailtoolarge, "exceeded google's message size limits"},
    {emailtoolarge, "exceeds google's message size limit"},
    {spamdetected, "this message is likely unsolicited mail"},
    {requireptr, "does not have a ptr record setup"},
    {requireptr, "forward dns entry does not point to the sending ip"},
    {policyviolation, "content presents a potential security issue"},
    {networkerror, "message exceeded 50 hops"},
    {norelaying, "mail relay denied"},
    {rejected, "sending this from a different address or alias using the"},
    // Google Groups: "the group may not exist, or you may not have permission
    // to post". The bounce is localised; the help link is not.
    {rejected, "permission to post"},
    {rejected, "groups.google.com/support"},

    // Microsoft Exchange and Exchange Online (NDR codes and texts)
    {userunknown, "resolver.adr.recipnotfound"},
    {userunknown, "resolver.adr.recipientnotfound"},
    {userunknown, "resolver.adr.exrecipnotfound"},
    {userunknown, "recipient address rejected: access denied"},
    {rejected, "resolver.rst.notauthorized"},
    {rejected, "delivery not authorized, message refused"},
    {rejected, "sender not in allowed-senders list"},
    {rejected, "sender was not authenticated by organization"},
    {rejected, "sender not authenticated for group"},
    {rejected, "access denied, spam abuse detected"},
    {securityerror, "resolver.rst.authrequired"},
    {emailtoolarge, "resolver.rst.recipsizelimit"},
    {emailtoolarge, "resolver.rst.recipientsizelimit"},
    {ratelimited, "resolver.adr.reciplimit"},
    {systemerror, "resolver.adr.ambiguous"},
    {systemerror, "resolver.adr.badprimary"},
    {systemerror, "resolver.adr.invalidinsmtp"},
    {hostunknown, "smtpsend.dns.nonexistentdomain"},
    {networkerror, "smtpsend.dns.mxloopback"},
    {expired, "queue.expired"},
    {mailboxfull, "shutoffquotaexceeded"},
    {authfailure, "does not pass dmarc verification"},
    {authfailure, "doesn't meet the required authentication level"},
    {authfailure, "must pass either spf or dkim validation"},
    {badreputation, "rate limited due to ip reputation"},
    {blocked, "banned sending ip"},
    {blocked, "access denied, banned sender"},
    {blocked, "access denied, bad helo"},
    {blocked, "using customer block list"},
    {blocked, "part of their network is on our block list"},
    {requireptr, "must have a reverse dns record"},
    {policyviolation, "policy violation detected (as345)"},

    // Yahoo, AOL, Verizon Media
    {userunknown, "dd this user doesn't have a "},
    {suspend, "dd ", " is no longer valid"},
    {suspend, "this mailbox is disabled"},
    {ratelimited, "user is receiving mail too quickly"},
    {ratelimited, "max message per connection reached"},
    {policyviolation, "not accepted for policy reasons"},
    {authfailure, "yahoo requires all senders to authenticate"},
    {blocked, "will be permanently deferred"},
    {badreputation, "temporarily deferred due to unexpected volume or user complaints"},

    // Apple iCloud
    {blocked, "esmtp not accepting connections"},

    // Tencent QQ
    {ratelimited, "frequency limited"},
    {ratelimited, "frequency of receiving messages is limited"},
    {suspend, "is a deactivated mailbox"},
    {blocked, "suspected spam ip"},
    {blocked, "suspected bounce attacks"},
    {spamdetected, "spam is embedded in the email"},
    {spamdetected, "mail content denied"},
    {filtered, "mail is rejected by recipients"},

    // KDDI/au (ezweb.ne.jp, au.com): its spam and "designated senders"
    // filters refuse after DATA with "550 : User unknown", the address left
    // out, while a mailbox that does not exist is refused at RCPT with
    // "550 <address>: User unknown". Reading the first as a dead address
    // would send au users an address-change notice for mail their own filter
    // settings turned away (Sisimai's KDDI rules draw the same line). Wrapped
    // by another MTA it can read "550: : User unknown".
    {filtered, "550 : user unknown"},
    {filtered, ": : user unknown"},

    // Orange, La Poste (French texts)
    {userunknown, "adresse d au moins un destinataire invalide"},
    {mailboxfull, "boite du destinataire pleine"},
    {suspend, "boite du destinataire archivee"},

    // Smaller providers
    {blocked, "aup#cdrbl"},                            // Cox: its own DNSBL
    {policyviolation, "host network not allowed"},     // Mimecast
    {policyviolation, "email rejected due to security policies"},  // Mimecast
    {blocked, "too many spams from your ip"},          // Free.fr
    {userunknown, "not our customer"},                 // Comcast
    {authfailure, "per it's spf record"},              // GoDaddy (sic)
    {securityerror, "account not subscribed to ses"},  // Amazon SES as a relay
    {securityerror, "is not authorized to perform ses:"},
    {spamdetected, "the content of this message looked like spam"},  // SendGrid
    {failedstarttls, "tls required but not supported"},              // SendGrid
};

constexpr text_rule generic_rules[] = {
    // userunknown: the local part does not exist
    {userunknown, "address does not exist"},
    {userunknown, "address unknown"},
    {userunknown, "address not present in directory"},
    {userunknown, "bad destination mailbox address"},
    {userunknown, "destination addresses were unknown"},
    {userunknown, "email address could not be found"},
    {userunknown, "invalid address"},
    {userunknown, "invalid mailbox"},
    {userunknown, "invalid recipient"},
    {userunknown, "invalid final delivery userid"},
    {userunknown, "is not a known user"},
    {userunknown, "is not a valid mailbox"},
    {userunknown, "mailbox does not exist"},
    {userunknown, "mailbox invalid"},
    {userunknown, "mailbox not found"},
    {userunknown, "mailbox unavailable"},
    {userunknown, "mailbox is unavailable"},
    {userunknown, "mailbox has been deleted"},
    {userunknown, "account has been deleted"},
    {userunknown, "no mailbox here by that name"},
    {userunknown, "no such address"},
    {userunknown, "no such mailbox"},
    {userunknown, "no such person"},
    {userunknown, "no such recipient"},
    {userunknown, "no such user"},
    {userunknown, "no account by that name"},
    {userunknown, "not a valid recipient"},
    {userunknown, "not a valid user"},
    {userunknown, "recipient does not exist"},
    {userunknown, "recipient not found"},
    {userunknown, "recipient unknown"},
    {userunknown, "recipient address rejected: invalid user"},
    {userunknown, "recipient address rejected: unknown user"},
    {userunknown, "please check if address is correct"},
    {userunknown, "recipient address rejected. (in reply to rcpt to command)"},
    {userunknown, "there is no one at this address"},
    {userunknown, "unknown recipient"},
    {userunknown, "unknown user"},
    {userunknown, "unknown mailbox"},
    {userunknown, "unknown local part"},
    {userunknown, "user does not exist"},
    {userunknown, "user not exist"},
    {userunknown, "user not found"},
    {userunknown, "user not known"},
    {userunknown, "user not listed"},
    {userunknown, "user unknown"},
    {userunknown, "utilisateur inconnu"},
    {userunknown, "destinataire inconnu"},
    {userunknown, "usuario desconocido"},
    {userunknown, "mailbox ", "does not exist"},
    {userunknown, "user ", " does not exist"},
    {userunknown, "user ", " was not found"},
    {userunknown, "recipient ", " was not found"},
    {userunknown, "account ", " does not exist"},
    {userunknown, "this user doesn't have a ", " account"},
    {userunknown, "no ", " in name directory"},

    // mailboxfull
    {mailboxfull, "mailbox full"},
    {mailboxfull, "mailbox is full"},
    {mailboxfull, "mailbox quota"},
    {mailboxfull, "mailbox exceeded"},
    {mailboxfull, "mailbox exceeds allowed size"},
    {mailboxfull, "mailbox size limit exceeded"},
    {mailboxfull, "mailbox would exceed maximum allowed storage"},
    {mailboxfull, "mailfolder is full"},
    {mailboxfull, "full mailbox"},
    {mailboxfull, "over quota"},
    {mailboxfull, "overquota"},
    {mailboxfull, "quota exceeded"},
    {mailboxfull, "quotaexceeded"},
    {mailboxfull, "exceeded storage allocation"},
    {mailboxfull, "storage quota"},
    {mailboxfull, "out of storage space"},
    {mailboxfull, "not enough storage space"},
    {mailboxfull, "user has exceeded quota"},
    {mailboxfull, "user has too many messages on the server"},
    {mailboxfull, "user's space has been used up"},
    {mailboxfull, "too much mail data"},
    {mailboxfull, "mailbox ", "full"},
    {mailboxfull, "over ", "quota"},
    {mailboxfull, "quota ", "exceeded"},
    {mailboxfull, "disk ", "quota"},

    // emailtoolarge
    {emailtoolarge, "message too big"},
    {emailtoolarge, "message too large"},
    {emailtoolarge, "message is too large"},
    {emailtoolarge, "message size exceeds"},
    {emailtoolarge, "message length exceeds"},
    {emailtoolarge, "max message size exceeded"},
    {emailtoolarge, "maximum message size exceeded"},
    {emailtoolarge, "exceeded maximum inbound message size"},
    {emailtoolarge, "exceeds the maximum incoming message size"},
    {emailtoolarge, "message file too big"},
    {emailtoolarge, "message header size exceeds limit"},
    {emailtoolarge, "line limit exceeded"},
    {emailtoolarge, "size limit"},
    {emailtoolarge, "too large for this recipient"},
    {emailtoolarge, "taille limite du message atteinte"},

    // suspend: the account exists but cannot receive for now
    {suspend, "account is disabled"},
    {suspend, "account has been disabled"},
    {suspend, "account disabled"},
    {suspend, "mailbox disabled"},
    {suspend, "mailbox is disabled"},
    {suspend, "disabled recipient"},
    {suspend, "has been suspended"},
    {suspend, "is currently suspended"},
    {suspend, "account suspended"},
    {suspend, "user suspended"},
    {suspend, "inactive account"},
    {suspend, "account is inactive"},
    {suspend, "mailbox is inactive"},
    {suspend, "mailbox is frozen"},
    {suspend, "account is locked"},
    {suspend, "account has been locked"},
    {suspend, "temporarily locked"},
    {suspend, "temporary locked"},
    {suspend, "temporarily inactive"},
    {suspend, "user is terminated"},
    {suspend, "archived recipient"},
    {suspend, "this account has been disabled or discontinued"},
    {suspend, "invalid/inactive user"},

    // hasmoved
    {hasmoved, " has been replaced by "},
    {hasmoved, "mailbox has moved"},
    {hasmoved, "no forwarding address"},
    {hasmoved, "recipient no longer on server"},

    // norelaying
    {norelaying, "relay access denied"},
    {norelaying, "relaying denied"},
    {norelaying, "relay denied"},
    {norelaying, "relay not permitted"},
    {norelaying, "relaying not allowed"},
    {norelaying, "relay not allowed"},
    {norelaying, "not permitted to relay"},
    {norelaying, "not allowed to relay"},
    {norelaying, "unable to relay"},
    {norelaying, "no relaying"},
    {norelaying, "insecure mail relay"},
    {norelaying, "not an open relay"},
    {norelaying, "we do not relay"},
    {norelaying, "relaying mail to "},
    {norelaying, "this system is not configured to relay mail"},
    {norelaying, "that domain isn't in my list of allowed rcpthost"},

    // authfailure: SPF, DKIM, DMARC
    {authfailure, "dmarc policy"},
    {authfailure, "dmarc check failed"},
    {authfailure, "dmarc verification"},
    {authfailure, "dmarc rejection"},
    {authfailure, "failed dmarc"},
    {authfailure, "spf check failed"},
    {authfailure, "spf check: fail"},
    {authfailure, "spf validation failed"},
    {authfailure, "failed spf"},
    {authfailure, "bad spf records"},
    {authfailure, "spf.pobox.com"},
    {authfailure, "please inspect your spf settings"},
    {authfailure, "sender policy framework"},
    {authfailure, "dkim signature verification failed"},
    {authfailure, "dkim verification failed"},
    {authfailure, "authentication checks failed"},
    {authfailure, "unauthenticated email from"},
    {authfailure, "authentication requirements defined for the sender"},

    // requireptr: the sending IP's reverse DNS
    {requireptr, "reverse dns required"},
    {requireptr, "reverse dns validation failed"},
    {requireptr, "reverse dns failed"},
    {requireptr, "reverse dns lookup"},
    {requireptr, "missing reverse dns"},
    {requireptr, "no reverse dns"},
    {requireptr, "fix reverse dns"},
    {requireptr, "no ptr record"},
    {requireptr, "ptr record setup"},
    {requireptr, "bad dns ptr resource record"},
    {requireptr, "cannot find your hostname"},
    {requireptr, "cannot resolve your address"},
    {requireptr, "ip name lookup failed"},
    {requireptr, "reverse lookup rejected"},
    {requireptr, "invalid rdns"},
    {requireptr, "domain ", " mismatches client ip"},

    // notcompliantrfc
    {notcompliantrfc, "duplicate header"},
    {notcompliantrfc, "rfc 5322 compliant"},
    {notcompliantrfc, "rfcmessagenoncompliant"},
    {notcompliantrfc, "headers are not rfc compliant"},
    {notcompliantrfc, " multiple ", " header"},

    // badreputation
    {badreputation, "poor email reputation"},
    {badreputation, "poor reputation"},
    {badreputation, "bad reputation"},
    {badreputation, "low reputation"},
    {badreputation, "reputation problems"},
    {badreputation, "sender reputation"},
    {badreputation, "ip reputation"},
    {badreputation, "domain reputation"},

    // contenterror: message format
    {contenterror, "improper use of 8-bit data"},
    {contenterror, "header size exceeds maximum permitted"},
    {contenterror, "message header size, or recipient list, exceeds policy limit"},
    {contenterror, "invalid mime"},
    {contenterror, "mime complexity"},
    {contenterror, "improperly-formatted binary content"},
    {contenterror, "unnecessary base64 encoding"},
    {contenterror, "malformed message"},
    {contenterror, "message is malformed"},
    {contenterror, "invalid message content"},
    {contenterror, "too many received: headers"},

    // rejected: the sender (envelope from, From: domain) is refused
    {rejected, "sender address rejected"},
    {rejected, "sender rejected"},
    {rejected, "sender was rejected"},
    {rejected, "sender denied"},
    {rejected, "sender verify failed"},
    {rejected, "sender verification failed"},
    {rejected, "domain of sender address"},
    {rejected, "unroutable sender address"},
    {rejected, "unrouteable sender address"},
    {rejected, "invalid sender"},
    {rejected, "sender is in my black list"},
    {rejected, "sender address has been blacklisted"},
    {rejected, "sender email address rejected"},
    {rejected, "sender not pre-approved"},
    {rejected, "sender is spammer"},
    {rejected, "bogus mail from"},
    {rejected, "administrative prohibition"},
    {rejected, "batv failed"},
    {rejected, "batv validation failure"},
    {rejected, "null sender is not allowed"},
    {rejected, "empty envelope senders not allowed"},
    {rejected, "from: domain is invalid"},
    {rejected, "an address that has been blacklisted"},
    {rejected, "your email address has been blacklisted"},
    {rejected, "mail from not owned by user"},
    {rejected, "email address is not verified"},
    {rejected, "not allowed to post to this"},
    {rejected, "access denied (in reply to mail from command)"},
    {rejected, "all recipient addresses rejected : access denied"},

    // hostunknown: the domain does not exist
    {hostunknown, "domain does not exist"},
    {hostunknown, "domain not found"},
    {hostunknown, "domain name not found"},
    {hostunknown, "no such domain"},
    {hostunknown, "unknown domain"},
    {hostunknown, "host unknown"},
    {hostunknown, "unknown host"},
    {hostunknown, "host or domain name not found"},
    {hostunknown, "name or service not known"},
    {hostunknown, "unrouteable address"},
    {hostunknown, "unroutable address"},
    {hostunknown, "domain must exist"},
    {hostunknown, "mail domain mentioned in email address is unknown"},
    {hostunknown, "the account or domain may not exist"},
    {hostunknown, "couldn't find any host named"},
    {hostunknown, "nonexistent domain"},
    {hostunknown, "dns lookup failure: host"},
    {hostunknown, "553 ", " does not exist"},

    // spamdetected: the content was judged to be spam
    {spamdetected, " - spam"},
    {spamdetected, "appears to be unsolicited"},
    {spamdetected, "unsolicited bulk e-mail"},
    {spamdetected, "blocked by spamassassin"},
    {spamdetected, "content filter rejection"},
    {spamdetected, "message content rejected"},
    {spamdetected, "spam detected"},
    {spamdetected, "detected as spam"},
    {spamdetected, "classified as spam"},
    {spamdetected, "identified as spam"},
    {spamdetected, "considered spam"},
    {spamdetected, "looks like spam"},
    {spamdetected, "appears to be spam"},
    {spamdetected, "rejected as spam"},
    {spamdetected, "rejected due to spam"},
    {spamdetected, "spam message rejected"},
    {spamdetected, "spam score"},
    {spamdetected, "spam content"},
    {spamdetected, "spam not accepted"},
    {spamdetected, "spam-like"},
    {spamdetected, "high probability of spam"},
    {spamdetected, "probable spam"},
    {spamdetected, "suspected spam"},
    {spamdetected, "message rejected because of unacceptable content"},
    {spamdetected, "rejected - bulk email"},
    {spamdetected, "classification as bulk mail"},

    // ratelimited: too fast, too many
    {ratelimited, "too many connections"},
    {ratelimited, "too many concurrent"},
    {ratelimited, "too many sessions"},
    {ratelimited, "too many smtp sessions"},
    {ratelimited, "too many recipients"},
    {ratelimited, "too many messages"},
    {ratelimited, "too many errors from your ip"},
    {ratelimited, "connection rate limit"},
    {ratelimited, "rate limit"},
    {ratelimited, "rate-limit"},
    {ratelimited, "ratelimit"},
    {ratelimited, "rate limited"},
    {ratelimited, "throttling failure"},
    {ratelimited, "throttled"},
    {ratelimited, "please try again slower"},
    {ratelimited, "receiving mail too quickly"},
    {ratelimited, "too frequently sending"},
    {ratelimited, "max emails per hour"},
    {ratelimited, "maximum number of connections"},
    {ratelimited, "connection limit"},
    {ratelimited, "trop de connexions"},
    {ratelimited, "too many con", "s"},

    // blocked: the sending IP or host is refused
    {blocked, "blocked using"},
    {blocked, "blacklisted by"},
    {blocked, "is blacklisted"},
    {blocked, "blacklist"},
    {blocked, "black list"},
    {blocked, "blocklist"},
    {blocked, "block list"},
    {blocked, "spamhaus"},
    {blocked, "spamcop"},
    {blocked, "dnsbl"},
    {blocked, "/rbl"},
    {blocked, " rbl "},
    {blocked, "client host rejected"},
    {blocked, "client host ", " blocked"},
    {blocked, "sender ip address rejected"},
    {blocked, "bad sender ip address"},
    {blocked, "ip address is blocked"},
    {blocked, "your ip address is listed"},
    {blocked, "connection refused by"},
    {blocked, "connection dropped"},
    {blocked, "not accepting connections"},
    {blocked, "not currently accepting mail from your ip"},
    {blocked, "you are not allowed to connect"},
    {blocked, "helo command rejected"},
    {blocked, "invalid domain name"},
    {blocked, "rejecting open proxy"},
    {blocked, "dynamic ip"},
    {blocked, "too many unwanted messages"},
    {blocked, "invalid ip for sending mail of domain"},
    {blocked, "your remotehost looks suspiciously like spammer"},
    {blocked, "your server requires confirmation"},
    {blocked, "reject by behaviour spam"},
    {blocked, "mail from ", " refused"},

    // virusdetected
    {virusdetected, "virus detected"},
    {virusdetected, "virus found"},
    {virusdetected, "infected with a virus"},
    {virusdetected, "contains a virus"},
    {virusdetected, "malware"},
    {virusdetected, "potentially executable attachment"},
    {virusdetected, "used by recent viruses"},
    {virusdetected, "prohibited virus"},

    // policyviolation: the receiving organisation's rules
    {policyviolation, "local policy violation"},
    {policyviolation, "denied by policy"},
    {policyviolation, "rejected for policy reasons"},
    {policyviolation, "message rejected due to local policy"},
    {policyviolation, "organizational settings"},
    {policyviolation, "rejected by organization policy"},
    {policyviolation, "closed mailing list"},
    {policyviolation, "members-only list"},
    {policyviolation, "illegal attachment"},
    {policyviolation, "prohibited attachment"},
    {policyviolation, "attachments are not allowed"},
    {policyviolation, "protocol violation"},
    {policyviolation, "messages with multiple addresses"},
    {policyviolation, "you're using a mass mailer"},

    // systemerror: the receiving system broke
    {systemerror, "internal error"},
    {systemerror, "local configuration error"},
    {systemerror, "local error in processing"},
    {systemerror, "server configuration error"},
    {systemerror, "system config error"},
    {systemerror, "mail system configuration error"},
    {systemerror, "temporary local problem"},
    {systemerror, "queue file write error"},
    {systemerror, "transaction failed"},
    {systemerror, "service currently unavailable"},
    {systemerror, "remote server is misconfigured"},
    {systemerror, "unable to contact ldap"},
    {systemerror, "loops back to myself"},
    {systemerror, "it would create a mail loop"},

    // networkerror: DNS trouble, loops, unreachable hosts
    {networkerror, "no route to host"},
    {networkerror, "host is unreachable"},
    {networkerror, "network is unreachable"},
    {networkerror, "host name lookup failure"},
    {networkerror, "host not found, try again"},
    {networkerror, "temporary failure in name resolution"},
    {networkerror, "name server reply"},
    {networkerror, "dns query failed"},
    {networkerror, "dns timeout"},
    {networkerror, "dns error"},
    {networkerror, "mail forwarding loop"},
    {networkerror, "routing loop"},
    {networkerror, "too many hops"},
    {networkerror, "hop count exceeded"},
    {networkerror, "unrouteable mail domain"},
    {networkerror, "unable to resolve route"},
    {networkerror, "could not connect and send the mail"},
    {networkerror, "wasn't able to establish an smtp connection"},
    {networkerror, "dns records for the destination computer could not be found"},

    // systemfull: the receiving server's storage
    {systemfull, "mail system full"},
    {systemfull, "insufficient system storage"},
    {systemfull, "insufficient disk space"},
    {systemfull, "no space left on device"},

    // notaccept: the domain takes no mail at all
    {notaccept, "does not accept mail"},
    {notaccept, "doesn't receive email"},
    {notaccept, "null mx"},
    {notaccept, "nullmx"},
    {notaccept, "no mx record"},
    {notaccept, "no mx found"},
    {notaccept, "unable to find mx"},
    {notaccept, "couldn't find a mail exchanger"},
    {notaccept, "mail receiving disabled"},
    {notaccept, "not accepting network messages"},
    {notaccept, "no route for current request"},
    {notaccept, "smtp protocol returned a permanent error"},

    // expired: the sending side gave up
    {expired, "connection timed out"},
    {expired, "operation timed out"},
    {expired, "delivery time expired"},
    {expired, "delivery expired"},
    {expired, "message expired"},
    {expired, "queue expired"},
    {expired, "envelope expired"},
    {expired, "retry timeout exceeded"},
    {expired, "retry time not reached"},
    {expired, "giving up"},
    {expired, "has been delayed"},
    {expired, "have been delayed"},
    {expired, "have been failing for a long time"},
    {expired, "in the queue too long"},
    {expired, "could not deliver for the last"},
    {expired, "could not be delivered for", " hours"},
    {expired, "could not be delivered for", " days"},
    {expired, "not delivered within"},
    {expired, "server did not respond"},
    {expired, "did not accept our requests to connect"},
    {expired, "unable to connect"},
    {expired, "could not find a gateway for"},
    {expired, "message timed out"},
    {expired, "not reachable within the allowed queue period"},
    {expired, "delivery attempts will continue"},
    {expired, "unable to deliver message after multiple retries"},

    // failedstarttls
    {failedstarttls, "starttls is required"},
    {failedstarttls, "tls is required"},
    {failedstarttls, "tls required"},
    {failedstarttls, "does not support tls"},
    {failedstarttls, "requires tls"},
    {failedstarttls, "tls negotiation failed"},
    {failedstarttls, "tls handshake failed"},
    {failedstarttls, "failed mta-sts validation"},

    // securityerror: authentication or other security problems on the path
    {securityerror, "authentication required"},
    {securityerror, "authentication is required"},
    {securityerror, "smtp authentication"},
    {securityerror, "unauthenticated senders not allowed"},
    {securityerror, "authentication failure"},
    {securityerror, "authentication failed"},
    {securityerror, "authentication credentials invalid"},
    {securityerror, "you don't authenticate"},
    {securityerror, "verification failure"},

    // suppressed: on a suppression list, never attempted
    {suppressed, "suppression list"},
    {suppressed, "suppressionlist"},
    {suppressed, "previously bounced"},
    {suppressed, "address is suppressed"},

    // mailererror: a local delivery program failed
    {mailererror, "procmail:"},
    {mailererror, "bin/procmail"},
    {mailererror, "maildrop"},
    {mailererror, "command failed:"},
    {mailererror, "command died with status"},
    {mailererror, "mailer error"},
    {mailererror, "pipe to |"},
    {mailererror, "x-unix;"},
    {mailererror, "operating system error"},

    // syntaxerror (most come from the 50x reply codes instead)
    {syntaxerror, "syntax error in parameters or arguments"},
    {syntaxerror, "command unrecognized"},
    {syntaxerror, "bad address syntax"},

    // filtered: refused by a recipient-side rule; the address may exist
    {filtered, "message filtered"},
    {filtered, "message rejected due to user rules"},
    {filtered, "user reject"},
    {filtered, "refused due to recipient preferences"},
    {filtered, "only accepting mail from specific email addresses"},
    {filtered, "blocked by the recipient"},
    {filtered, "refuses to receive this mail"},
    {filtered, "refuse to receive mail"},
    {filtered, "is not accepting any mail"},
    {filtered, "has restricted sms e-mail"},
    {filtered, "account is protected by"},

    // vacation: auto-replies that reached the bounce address
    {vacation, "out of the office"},
    {vacation, "out of office"},
    {vacation, "automatic reply"},
    {vacation, "auto-reply"},
    {vacation, "autoreply"},
    {vacation, "on vacation"},
};

constexpr text_rule drop_rules[] = {
    // SendGrid `dropped` reasons
    {suppressed, "bounced address"},
    {suppressed, "unsubscribed address"},
    {suppressed, "spam reporting address"},
    {spamdetected, "spam content"},
    {syntaxerror, "invalid smtpapi header"},
    {ratelimited, "recipient list over package quota"},
    // Mailgun, Mailjet, Brevo, SES
    {suppressed, "not delivering to previously"},
    {suppressed, "unsubscribed"},
    {suppressed, "preblocked"},
    {suppressed, "duplicate in campaign"},
    {suppressed, "blocked by admin"},
    {virusdetected, "bad content"},
    {contenterror, "rendering failure"},
    {contenterror, "template"},
};

constexpr command_marker command_table[] = {
    {"in reply to rcpt to command", smtp_command::rcpt},
    {"after rcpt to", smtp_command::rcpt},
    {"did not like our rcpt to", smtp_command::rcpt},
    {"does not like recipient", smtp_command::rcpt},
    {"error following rcpt command", smtp_command::rcpt},
    {"for rcpt to response", smtp_command::rcpt},
    {"[rcpt_to]", smtp_command::rcpt},
    {"in reply to mail from command", smtp_command::mail},
    {"after mail from", smtp_command::mail},
    {"did not like our mail from", smtp_command::mail},
    {"but sender was rejected", smtp_command::mail},
    {"in reply to end of data command", smtp_command::data},
    {"in reply to data command", smtp_command::data},
    {"after end of data", smtp_command::data},
    {"did not like our data", smtp_command::data},
    {"did not like our final data", smtp_command::data},
    {"failed after i sent the message", smtp_command::data},
    {"after ehlo", smtp_command::helo},
    {"after helo", smtp_command::helo},
    {"in reply to ehlo command", smtp_command::helo},
    {"in reply to helo command", smtp_command::helo},
    {"but my name was rejected", smtp_command::helo},
    {"after initial connection", smtp_command::connect},
    {"refused to talk to me", smtp_command::connect},
};

constexpr std::string_view temporary_table[] = {
    "temporar", "try again later", "please try later", "persistent", "try again in",
};

// ---------------------------------------------------------------------------
// Codes

struct status_entry {
    std::string_view status;
    bounce_reason reason;
};

// Sorted by status text, so that an entry is easy to find and add (checked
// at compile time below); lookups go through the hash table after it.
constexpr status_entry status_table[] = {
    {"2.1.5", delivered},
    {"4.1.6", hasmoved},
    {"4.1.7", rejected},
    {"4.1.8", rejected},
    {"4.1.9", systemerror},
    {"4.2.1", blocked},
    {"4.2.2", mailboxfull},
    {"4.2.3", emailtoolarge},
    {"4.2.4", filtered},
    {"4.3.1", systemfull},
    {"4.3.2", notaccept},
    {"4.3.3", systemerror},
    {"4.3.5", systemerror},
    {"4.4.1", expired},
    {"4.4.2", networkerror},
    {"4.4.3", systemerror},
    {"4.4.4", networkerror},
    {"4.4.5", systemfull},
    {"4.4.6", networkerror},
    {"4.4.7", expired},
    {"4.4.8", networkerror},
    {"4.5.3", systemerror},
    {"4.5.5", systemerror},
    {"4.6.0", contenterror},
    {"4.6.2", contenterror},
    {"4.6.5", contenterror},
    {"4.7.1", blocked},
    {"4.7.12", securityerror},
    {"4.7.15", securityerror},
    {"4.7.16", emailtoolarge},
    {"4.7.2", blocked},
    {"4.7.24", authfailure},
    {"4.7.25", requireptr},
    {"4.7.26", authfailure},
    {"4.7.5", securityerror},
    {"4.7.6", securityerror},
    {"4.7.7", securityerror},
    {"5.1.0", userunknown},
    {"5.1.1", userunknown},
    {"5.1.10", notaccept},
    {"5.1.2", hostunknown},
    {"5.1.3", userunknown},
    {"5.1.4", filtered},
    {"5.1.6", hasmoved},
    {"5.1.7", rejected},
    {"5.1.8", rejected},
    {"5.1.9", systemerror},
    {"5.2.0", filtered},
    {"5.2.1", filtered},
    {"5.2.2", mailboxfull},
    {"5.2.3", emailtoolarge},
    {"5.2.4", filtered},
    {"5.3.0", systemerror},
    {"5.3.1", systemfull},
    {"5.3.2", notaccept},
    {"5.3.3", systemerror},
    {"5.3.4", emailtoolarge},
    {"5.3.5", systemerror},
    {"5.4.0", networkerror},
    {"5.4.3", systemerror},
    {"5.4.4", hostunknown},
    {"5.5.2", syntaxerror},
    {"5.5.3", ratelimited},
    {"5.5.4", systemerror},
    {"5.5.5", systemerror},
    {"5.5.6", syntaxerror},
    {"5.6.0", contenterror},
    {"5.6.1", contenterror},
    {"5.6.2", contenterror},
    {"5.6.3", contenterror},
    {"5.6.5", contenterror},
    {"5.6.6", contenterror},
    {"5.6.7", contenterror},
    {"5.6.8", contenterror},
    {"5.6.9", contenterror},
    {"5.7.0", securityerror},
    {"5.7.1", securityerror},
    {"5.7.10", securityerror},
    {"5.7.11", securityerror},
    {"5.7.13", suspend},
    {"5.7.14", securityerror},
    {"5.7.15", securityerror},
    {"5.7.16", emailtoolarge},
    {"5.7.17", hasmoved},
    {"5.7.18", hasmoved},
    {"5.7.19", securityerror},
    {"5.7.2", securityerror},
    {"5.7.20", authfailure},
    {"5.7.21", authfailure},
    {"5.7.22", authfailure},
    {"5.7.23", authfailure},
    {"5.7.24", authfailure},
    {"5.7.25", requireptr},
    {"5.7.26", authfailure},
    {"5.7.27", notaccept},
    {"5.7.28", spamdetected},
    {"5.7.29", authfailure},
    {"5.7.3", securityerror},
    {"5.7.30", failedstarttls},
    {"5.7.4", securityerror},
    {"5.7.5", securityerror},
    {"5.7.6", securityerror},
    {"5.7.7", securityerror},
    {"5.7.8", securityerror},
    {"5.7.9", securityerror},
};

static_assert(std::is_sorted(std::begin(status_table), std::end(status_table),
                             [](auto const& a, auto const& b) { return a.status < b.status; }));

/// A status of 5 to 9 characters as one integer, without the dot after the
/// class ("5.123.123" has nine characters, eight without it), or 0. Equal
/// keys mean equal texts: the first character is not 0, so the highest byte
/// set says the length.
constexpr std::uint64_t
status_key(std::string_view s) noexcept
{
    if (s.size() < 5 || s.size() > 9 || s[0] == '\0' || s[1] != '.') return 0;
    std::uint64_t key = static_cast<unsigned char>(s[0]);
    for (std::size_t i = 2; i < s.size(); ++i) key = key << 8 | static_cast<unsigned char>(s[i]);
    return key;
}

struct status_key_entry {
    std::uint64_t key = 0;  // 0: an empty slot
    bounce_reason reason = none;
};

// The statuses in an open-addressing hash table of four times their number
// (a power of two), built at compile time: a lookup is one multiply and
// usually one comparison.
constexpr std::size_t status_slots = std::bit_ceil(4 * std::size(status_table));

constexpr std::size_t
status_slot(std::uint64_t key) noexcept
{
    // Fibonacci hashing: the high bits of the product mix all of the key.
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> (64 - std::countr_zero(status_slots)));
}

constexpr auto status_hash = [] {
    std::array<status_key_entry, status_slots> out{};
    for (auto const& e : status_table) {
        auto const key = status_key(e.status);
        auto i = status_slot(key);
        while (out[i].key != 0) i = (i + 1) % status_slots;
        out[i] = {key, e.reason};
    }
    return out;
}();

static_assert([] {
    for (auto const& e : status_table)
        if (status_key(e.status) == 0) return false;
    for (std::size_t i = 0; i < std::size(status_table); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (status_table[i].status == status_table[j].status) return false;
    return true;
}(), "every status in the table has a key, and each is listed once");

struct reply_code_entry {
    int code;
    bounce_reason reason;
};

constexpr reply_code_entry reply_code_table[] = {
    {521, notaccept},       // RFC 7504: host does not accept mail
    {523, failedstarttls},  // RFC 5248 / TLS-related extensions
    {524, failedstarttls},
    {525, suspend},         // RFC 5248: user account disabled
    {538, failedstarttls},  // encryption required for the requested mechanism
    {556, notaccept},       // RFC 7504: domain does not accept mail
};

/// Receiving providers whose statuses carry more than RFC 3463 says.
struct host_family {
    std::string_view name;
    std::array<std::string_view, 6> suffixes;
};

constexpr host_family host_families[] = {
    {"microsoft", {"outlook.com", "hotmail.com", "live.com", "msn.com", "office365.com", "outlook.office365.com"}},
    {"google", {"google.com", "googlemail.com", "gmail.com", "", "", ""}},
    {"yahoo", {"yahoodns.net", "yahoo.com", "yahoo.co.jp", "aol.com", "", ""}},
};

struct host_status_entry {
    std::string_view family;
    std::string_view status_prefix;  // "5.7." or a whole status
    int detail_from;                 // detail range when status_prefix ends with '.'
    int detail_to;
    bounce_reason reason;
};

constexpr host_status_entry host_status_table[] = {
    // Whole statuses first: the ranges below overlap some of them.
    {"microsoft", "5.7.509", 0, 0, authfailure},
    {"microsoft", "5.7.515", 0, 0, authfailure},
    {"microsoft", "5.7.511", 0, 0, blocked},
    {"microsoft", "5.7.513", 0, 0, blocked},
    {"microsoft", "4.7.650", 0, 0, badreputation},
    {"microsoft", "5.4.1", 0, 0, userunknown},  // directory-based edge blocking
    {"microsoft", "5.7.", 606, 649, blocked},   // banned sending IP ranges
    {"microsoft", "4.7.", 500, 699, blocked},   // IP temporarily restricted
    {"google", "4.7.28", 0, 0, blocked},
    {"google", "5.7.28", 0, 0, blocked},
    {"google", "4.7.27", 0, 0, authfailure},
    {"google", "4.7.30", 0, 0, authfailure},
    {"google", "4.7.32", 0, 0, authfailure},
    {"google", "4.7.40", 0, 0, authfailure},
    {"google", "4.7.29", 0, 0, failedstarttls},
    {"google", "5.7.29", 0, 0, failedstarttls},
    {"yahoo", "5.7.9", 0, 0, policyviolation},
};

// ---------------------------------------------------------------------------
// ESP bounce classes (taxonomy section 6, esp-webhooks.md)

using hint_strength::constrains_only;
using failure_duration::permanent;
using failure_duration::temporary;
using failure_duration::unstated;
using hint_strength::decides;
using hint_strength::suggests;
constexpr auto by_class = esp_field::esp_class;
constexpr auto by_type = esp_field::esp_type;

constexpr esp_hint esp_hints[] = {
    // Amazon SES: bounceType in esp_type, bounceSubType in esp_class.
    {"ses", by_type, "Transient", none, constrains_only, temporary},
    {"ses", by_type, "Permanent", none, constrains_only, permanent},
    {"ses", by_class, "Suppressed", suppressed, decides, unstated},
    {"ses", by_class, "OnAccountSuppressionList", suppressed, decides, unstated},
    {"ses", by_class, "UnsubscribedRecipient", suppressed, decides, unstated},
    {"ses", by_class, "NoEmail", userunknown, suggests, permanent},
    {"ses", by_class, "MailboxFull", mailboxfull, suggests, unstated},
    {"ses", by_class, "MessageTooLarge", emailtoolarge, suggests, unstated},
    {"ses", by_class, "ContentRejected", contenterror, suggests, unstated},
    {"ses", by_class, "AttachmentRejected", policyviolation, suggests, unstated},

    // SendGrid: bounce_classification in esp_class, `type` in esp_type.
    {"sendgrid", by_type, "blocked", none, constrains_only, temporary},
    {"sendgrid", by_type, "bounce", none, constrains_only, permanent},
    {"sendgrid", by_type, "expired", expired, suggests, temporary},
    {"sendgrid", by_class, "Invalid Address", userunknown, suggests, permanent},
    {"sendgrid", by_class, "Content", spamdetected, suggests, unstated},
    {"sendgrid", by_class, "Reputation", badreputation, suggests, unstated},
    {"sendgrid", by_class, "Frequency or Volume Too High", ratelimited, suggests, unstated},

    // Mailgun: severity in esp_type, reason in esp_class.
    {"mailgun", by_type, "temporary", none, constrains_only, temporary},
    {"mailgun", by_type, "permanent", none, constrains_only, permanent},
    {"mailgun", by_class, "suppress-bounce", suppressed, decides, unstated},
    {"mailgun", by_class, "suppress-unsubscribe", suppressed, decides, unstated},
    {"mailgun", by_class, "suppress-complaint", suppressed, decides, unstated},
    {"mailgun", by_class, "espblock", blocked, suggests, unstated},
    {"mailgun", by_class, "old", expired, suggests, unstated},

    // SparkPost: bounce_class in esp_class.
    {"sparkpost", by_class, "10", userunknown, suggests, permanent},
    {"sparkpost", by_class, "20", none, constrains_only, temporary},
    {"sparkpost", by_class, "21", networkerror, suggests, unstated},
    {"sparkpost", by_class, "22", mailboxfull, suggests, temporary},
    {"sparkpost", by_class, "23", emailtoolarge, suggests, temporary},
    {"sparkpost", by_class, "24", expired, suggests, temporary},
    {"sparkpost", by_class, "25", suppressed, decides, unstated},
    {"sparkpost", by_class, "26", suppressed, decides, unstated},
    {"sparkpost", by_class, "30", userunknown, suggests, permanent},
    {"sparkpost", by_class, "40", none, constrains_only, temporary},
    {"sparkpost", by_class, "50", blocked, suggests, temporary},
    {"sparkpost", by_class, "51", blocked, suggests, temporary},
    {"sparkpost", by_class, "52", spamdetected, suggests, temporary},
    {"sparkpost", by_class, "53", policyviolation, suggests, temporary},
    {"sparkpost", by_class, "54", norelaying, suggests, temporary},
    {"sparkpost", by_class, "60", vacation, decides, temporary},
    {"sparkpost", by_class, "70", none, constrains_only, temporary},
    {"sparkpost", by_class, "90", feedback, decides, unstated},
    {"sparkpost", by_class, "100", vacation, decides, temporary},

    // Postmark: the bounce Type in esp_type (its TypeCode is in esp_class),
    // as providers/postmark.cpp stores them.
    {"postmark", by_type, "HardBounce", userunknown, suggests, permanent},
    {"postmark", by_type, "BadEmailAddress", userunknown, suggests, permanent},
    {"postmark", by_type, "AddressChange", hasmoved, decides, unstated},
    {"postmark", by_type, "Transient", none, constrains_only, temporary},
    {"postmark", by_type, "SoftBounce", none, constrains_only, temporary},
    {"postmark", by_type, "DnsError", networkerror, suggests, unstated},
    {"postmark", by_type, "SpamNotification", spamdetected, suggests, temporary},
    {"postmark", by_type, "VirusNotification", virusdetected, suggests, temporary},
    {"postmark", by_type, "Blocked", blocked, suggests, temporary},
    {"postmark", by_type, "DMARCPolicy", authfailure, suggests, temporary},
    {"postmark", by_type, "AutoResponder", vacation, decides, temporary},
    {"postmark", by_type, "ChallengeVerification", vacation, decides, temporary},
    {"postmark", by_type, "Unsubscribe", feedback, decides, unstated},
    {"postmark", by_type, "SpamComplaint", feedback, decides, unstated},
    {"postmark", by_type, "ManuallyDeactivated", suppressed, decides, unstated},
    {"postmark", by_type, "Unconfirmed", suppressed, decides, unstated},
    {"postmark", by_type, "TemplateRenderingFailed", contenterror, decides, unstated},

    // Mailjet: `error` in esp_type (`error_related_to` is in esp_class), as
    // providers/mailjet.cpp stores them.
    {"mailjet", by_type, "user unknown", userunknown, suggests, permanent},
    {"mailjet", by_type, "mailbox inactive", suspend, suggests, unstated},
    {"mailjet", by_type, "quota exceeded", mailboxfull, suggests, unstated},
    {"mailjet", by_type, "invalid domain", hostunknown, suggests, unstated},
    {"mailjet", by_type, "typofix", hostunknown, suggests, unstated},
    {"mailjet", by_type, "no mail host", notaccept, suggests, unstated},
    {"mailjet", by_type, "relay/access denied", norelaying, suggests, unstated},
    {"mailjet", by_type, "greylisted", none, constrains_only, temporary},
    {"mailjet", by_type, "sender blocked", blocked, suggests, temporary},
    {"mailjet", by_type, "content blocked", spamdetected, suggests, temporary},
    {"mailjet", by_type, "policy issue", policyviolation, suggests, temporary},
    {"mailjet", by_type, "system issue", systemerror, suggests, temporary},
    {"mailjet", by_type, "protocol issue", syntaxerror, suggests, temporary},
    {"mailjet", by_type, "connection issue", networkerror, suggests, temporary},
    {"mailjet", by_type, "blacklisted", suppressed, decides, unstated},
    {"mailjet", by_type, "spam reporter", suppressed, decides, unstated},
    {"mailjet", by_type, "preblocked", suppressed, decides, unstated},
    {"mailjet", by_type, "duplicate in campaign", suppressed, decides, unstated},

    // Brevo: the event name in esp_type.
    {"brevo", by_type, "hard_bounce", none, constrains_only, permanent},
    {"brevo", by_type, "soft_bounce", none, constrains_only, temporary},
    {"brevo", by_type, "deferred", none, constrains_only, temporary},
    {"brevo", by_type, "invalid_email", userunknown, suggests, permanent},

    // Customers Mail Cloud: a bounce item's `status` in esp_class, when it is
    // one of the Bounces API's error numbers (esp-webhooks.md section 8;
    // whether webhook items carry them is unverified, and "bounced" matches
    // no row). Forward errors and receiving-server errors are the receiving
    // side's to fix, so soft, as providers/customers_mail_cloud.cpp maps them.
    {"cmc", by_class, "1", hostunknown, suggests, permanent},
    {"cmc", by_class, "2", userunknown, suggests, permanent},
    {"cmc", by_class, "3", expired, suggests, temporary},
    {"cmc", by_class, "4", policyviolation, suggests, unstated},
    {"cmc", by_class, "5", mailboxfull, suggests, temporary},
    {"cmc", by_class, "6", systemerror, suggests, temporary},
    {"cmc", by_class, "7", systemerror, suggests, temporary},
    {"cmc", by_class, "8", emailtoolarge, suggests, temporary},
    {"cmc", by_class, "9", userunknown, suggests, permanent},
    {"cmc", by_class, "10", suppressed, decides, unstated},
    {"cmc", by_class, "11", suppressed, decides, unstated},
    {"cmc", by_class, "99", none, constrains_only, permanent},

    // blastengine: the event type in esp_type (section 9): HARDERROR is
    // permanent, SOFTERROR temporary, DROP its error-stop list.
    {"blastengine", by_type, "HARDERROR", none, constrains_only, permanent},
    {"blastengine", by_type, "SOFTERROR", none, constrains_only, temporary},
    {"blastengine", by_type, "DROP", suppressed, decides, unstated},
};

constexpr std::pair<std::string_view, std::string_view> provider_aliases[] = {
    {"amazonses", "ses"},
    {"awsses", "ses"},
    {"amazon", "ses"},
    {"sendinblue", "brevo"},
    {"customersmailcloud", "cmc"},
    {"twiliosendgrid", "sendgrid"},
};

// ---------------------------------------------------------------------------
// Precedence

constexpr bounce_reason priority_table[] = {
    mailboxfull, emailtoolarge, suspend, hasmoved, norelaying, authfailure,
    userunknown, filtered, requireptr, notcompliantrfc, badreputation, contenterror,
    rejected, hostunknown, spamdetected, ratelimited, blocked, virusdetected,
    policyviolation, systemerror, networkerror, systemfull, notaccept, expired,
    failedstarttls, securityerror, suppressed, mailererror, syntaxerror, vacation,
};

constexpr precedence_exception exception_table[] = {
    // "Host not found, try again": a DNS hiccup, not a missing domain.
    {networkerror, hostunknown},
    // Gmail's "DNS Error: ... returned Null MX": the null MX is the news.
    {notaccept, networkerror},
    // A spam verdict often mentions the headers that triggered it.
    {spamdetected, contenterror},
    // "procmail: ... No such user": the local delivery program failed, the
    // SMTP side had accepted the recipient.
    {mailererror, userunknown},
};

bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool
host_in_family(std::string_view host, host_family const& family) noexcept
{
    while (!host.empty() && host.back() == '.') host.remove_suffix(1);
    for (auto const suffix : family.suffixes) {
        if (suffix.empty() || host.size() < suffix.size()) continue;
        auto const tail = host.substr(host.size() - suffix.size());
        bool const whole_label = host.size() == suffix.size() || host[host.size() - suffix.size() - 1] == '.';
        if (whole_label && iequals(tail, suffix)) return true;
    }
    return false;
}

}  // namespace

std::span<text_rule const>
provider_wording() noexcept
{
    return provider_rules;
}

std::span<text_rule const>
generic_wording() noexcept
{
    return generic_rules;
}

std::span<text_rule const>
drop_wording() noexcept
{
    return drop_rules;
}

smtp_command
parse_command(std::string_view name) noexcept
{
    if (name.empty()) return smtp_command::unknown;  // the usual case: the ESP did not say
    constexpr std::pair<std::string_view, smtp_command> names[] = {
        {"conn", smtp_command::connect}, {"connect", smtp_command::connect}, {"helo", smtp_command::helo},
        {"ehlo", smtp_command::helo},    {"mail", smtp_command::mail},       {"rcpt", smtp_command::rcpt},
        {"data", smtp_command::data},
    };
    for (auto const& [n, c] : names)
        if (iequals(name, n)) return c;
    return smtp_command::unknown;
}

std::span<command_marker const>
command_markers() noexcept
{
    return command_table;
}

std::span<std::string_view const>
temporary_markers() noexcept
{
    return temporary_table;
}

bounce_reason
reason_for_status(std::string_view enhanced) noexcept
{
    // Every event asks, and comparing strings in a binary search was a
    // visible share of a classification: the statuses are looked up as
    // integers instead.
    auto const key = status_key(enhanced);
    if (key == 0) return none;  // no table entry has that shape
    for (auto i = status_slot(key);; i = (i + 1) % status_slots) {
        if (status_hash[i].key == key) return status_hash[i].reason;
        if (status_hash[i].key == 0) return none;
    }
}

bounce_reason
reason_for_reply_code(int code) noexcept
{
    for (auto const& e : reply_code_table)
        if (e.code == code) return e.reason;
    return none;
}

bounce_reason
reason_for_host_status(std::string_view remote_host, std::string_view enhanced) noexcept
{
    if (remote_host.empty() || enhanced.empty()) return none;
    for (auto const& family : host_families) {
        if (!host_in_family(remote_host, family)) continue;
        for (auto const& e : host_status_table) {
            if (e.family != family.name) continue;
            if (e.status_prefix.back() != '.') {
                if (enhanced == e.status_prefix) return e.reason;
                continue;
            }
            if (!enhanced.starts_with(e.status_prefix)) continue;
            auto const detail = enhanced.substr(e.status_prefix.size());
            int value = -1;
            auto const [end, ec] = std::from_chars(detail.data(), detail.data() + detail.size(), value);
            if (ec == std::errc{} && end == detail.data() + detail.size() && value >= e.detail_from &&
                value <= e.detail_to)
                return e.reason;
        }
    }
    return none;
}

std::span<esp_hint const>
all_esp_hints() noexcept
{
    return esp_hints;
}

esp_hint const*
find_esp_hint(std::string_view provider, esp_field field, std::string_view value) noexcept
{
    if (value.empty()) return nullptr;
    auto const family = provider_family(provider);
    for (auto const& h : esp_hints)
        if (h.field == field && h.provider == family && iequals(h.value, value)) return &h;
    return nullptr;
}

std::string_view
provider_family(std::string_view provider) noexcept
{
    // Compare on letters and digits only: "amazon-ses", "Amazon SES", "amazon_ses".
    char buffer[32];
    std::size_t n = 0;
    for (char c : provider) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) continue;
        if (n == sizeof buffer) return {};
        buffer[n++] = c;
    }
    std::string_view const key(buffer, n);
    for (auto const& [alias, family] : provider_aliases)
        if (key == alias) return family;
    for (auto const& h : esp_hints)
        if (key == h.provider) return h.provider;
    return {};
}

std::span<bounce_reason const>
text_priority() noexcept
{
    return priority_table;
}

std::span<precedence_exception const>
precedence_exceptions() noexcept
{
    return exception_table;
}

}  // namespace rebound::classify::rules
