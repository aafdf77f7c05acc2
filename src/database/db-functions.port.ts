/** Arguments of a SQL function, by parameter name: scalars, or arrays and objects sent as jsonb. */
export type FunctionArgs = Record<string, string | number | boolean | null | undefined | object>;

/**
 * Port: calls one of the migration's SQL functions (supabase/migrations) with named arguments
 * and answers its result. Every read and write the stores make is such a call, so a transport
 * that can only call functions (Supabase's RPC) behaves exactly as a SQL connection does.
 */
export abstract class DbFunctions {
  abstract call<T>(fn: string, args: FunctionArgs): Promise<T>;
}
