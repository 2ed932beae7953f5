import type { Queryable } from '../db/index.js';
import { iso, isUniqueViolation } from '../db/index.js';
import { conflict, notFound } from '../errors/index.js';
import { parseInput } from '../errors/validate.js';
import { type Org, OrgId } from './schemas.js';

interface OrgRow {
  id: string;
  name: string;
  created_at: Date;
}

const toOrg = (r: OrgRow): Org => ({ id: r.id, name: r.name, createdAt: iso(r.created_at) });

/** Organisations. Creating one is a platform operation (the CLI), never an org member's. */
export class OrgsService {
  constructor(private readonly db: Queryable) {}

  async create(input: { id: string; name?: string | undefined }, db: Queryable = this.db): Promise<Org> {
    const id = parseInput(OrgId, input.id, 'id');
    try {
      const { rows } = await db.query<OrgRow>('INSERT INTO orgs (id, name) VALUES ($1, $2) RETURNING *', [
        id,
        input.name ?? id,
      ]);
      return toOrg(rows[0]!);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`Organisation ${JSON.stringify(id)} already exists`);
      throw error;
    }
  }

  async get(id: string): Promise<Org> {
    const org = await this.find(id);
    if (!org) throw notFound('Organisation', id);
    return org;
  }

  async find(id: string): Promise<Org | undefined> {
    const { rows } = await this.db.query<OrgRow>('SELECT * FROM orgs WHERE id = $1', [id]);
    return rows[0] && toOrg(rows[0]);
  }

  /** Every organisation, for platform operators (`sluice pipeline status`); no tenant request reaches this. */
  async list(): Promise<Org[]> {
    const { rows } = await this.db.query<OrgRow>('SELECT * FROM orgs ORDER BY id');
    return rows.map(toOrg);
  }
}
