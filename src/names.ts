// The shapes of the names and ids the API and the CLI accept.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Coder's name rule for organizations and users (codersdk.NameValid). */
const NAME = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;

export const isUuid = (value: string) => UUID.test(value);
export const isValidName = (value: string) => value.length <= 64 && NAME.test(value);
