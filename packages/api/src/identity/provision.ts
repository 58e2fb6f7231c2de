import type { Database, Role } from '@strongroom/db';
import type { Kysely } from 'kysely';
import { publish } from '../core/event-hub';
import { unauthorized } from './issuer';

/** Who a verified token names, in Strongroom's terms. */
export interface Identity {
  issuer: string;
  subject: string;
  email: string;
  org: { by: 'name' | 'id'; value: string };
  role: Role;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The org a token names; an unknown (or, by name, ambiguous) org is refused. */
async function findOrg(db: Kysely<Database>, org: Identity['org']) {
  if (org.by === 'id' && !UUID.test(org.value))
    throw unauthorized(`The token's org claim "${org.value}" is not an org id`, 'TOKEN_ORG_UNKNOWN');
  const rows = await db
    .selectFrom('orgs')
    .select(['id', 'name'])
    .where(org.by === 'id' ? 'id' : 'name', '=', org.value)
    .limit(2)
    .execute();
  if (rows.length === 0)
    throw unauthorized(`The token names org "${org.value}", which does not exist in Strongroom`, 'TOKEN_ORG_UNKNOWN');
  if (rows.length > 1)
    throw unauthorized(
      `The token names org "${org.value}", and several orgs have that name; match orgs by id (orgMatch: id)`,
      'TOKEN_ORG_AMBIGUOUS',
    );
  return rows[0]!;
}

/**
 * The user row for (issuer, subject), created on first sight, and their membership of the org
 * the token names, set to the role the token gives: the identity provider is the source of truth
 * for these users, so a demotion there takes effect with the next token.
 * The email is only a label here: if another user already holds it, the label becomes
 * `<subject>@<issuer host>` rather than linking two identities by an unverified claim.
 */
export async function provision(db: Kysely<Database>, identity: Identity) {
  const org = await findOrg(db, identity.org);
  return db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom('users')
      .select('id')
      .where('email', '=', identity.email)
      .where((eb) =>
        eb.or([
          eb('oidc_issuer', 'is', null),
          eb('oidc_issuer', '!=', identity.issuer),
          eb('oidc_subject', '!=', identity.subject),
        ]),
      )
      .executeTakeFirst();
    const email = taken ? `${identity.subject}@${new URL(identity.issuer).host}` : identity.email;
    const user = await trx
      .insertInto('users')
      .values({ email, oidc_issuer: identity.issuer, oidc_subject: identity.subject })
      .onConflict((oc) => oc.columns(['oidc_issuer', 'oidc_subject']).doUpdateSet({ email }))
      .returning('id')
      .executeTakeFirstOrThrow();
    const changed = await trx
      .insertInto('org_members')
      .values({ org_id: org.id, user_id: user.id, role: identity.role })
      .onConflict((oc) =>
        oc
          .columns(['org_id', 'user_id'])
          .doUpdateSet({ role: identity.role })
          .where('org_members.role', '!=', identity.role),
      )
      .returning('role')
      .executeTakeFirst();
    // A role the claims changed ends any cached trust in this user's other credentials too.
    if (changed) await publish(trx, { type: 'auth.changed', orgId: org.id, userId: user.id });
    return { userId: user.id, email, orgId: org.id, orgName: org.name };
  });
}
