// Logging what a configuration parse found, the same way in every filter.
import { ConfigErrors } from "../../lib/config-reader";
import { log } from "../../sdk";

/** One warning per notice (e.g. a deprecated field name), prefixed with the filter's name. */
export function logConfigNotices(filter: string, errors: ConfigErrors): void {
  for (let i = 0; i < errors.notices.length; i++) log.warn(filter + ": plugin configuration: " + unchecked(errors.notices[i]));
}
