import { Type } from 'typebox';

/** Schemas more than one resource's routes share. */

/** Ids are int4 on both stores: anything larger cannot exist. */
export const MAX_ID = 2_147_483_647;

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_ID }) });

/** Actions that take no input accept no body, `{}` or `null`. */
export const EmptyBody = Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]);
