import { parseArgs } from 'node:util';
import { Role, signToken } from './auth/token.ts';

/**
 * `npm run token -- --user alice --role device [--ttl-s 3600]`: mint a token signed with the
 * HUB_SECRET of the environment, for operators whose identity system does not issue them yet.
 */
const { values } = parseArgs({
  options: {
    user: { type: 'string' },
    role: { type: 'string', default: 'device' },
    'ttl-s': { type: 'string', default: '3600' },
  },
});
const secret = process.env['HUB_SECRET'];
const role = Role.safeParse(values.role);
const ttl = Number(values['ttl-s']);
const fail = (message: string): never => {
  process.stderr.write(`${message}\nusage: HUB_SECRET=... npm run token -- --user alice --role device|viewer|admin [--ttl-s 3600]\n`);
  process.exit(2);
};
if (!secret || secret.length < 16) fail('HUB_SECRET must be set (at least 16 characters), the same as the hub uses');
if (!values.user) fail('--user is required');
if (!role.success) fail('--role must be device, viewer or admin');
if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl-s must be a positive whole number of seconds');
process.stdout.write(`${await signToken(secret!, { userId: values.user!, role: role.data! }, ttl)}\n`);
