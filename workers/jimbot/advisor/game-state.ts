/**
 * Seed 002's GameStateEvent in its proto3 JSON form (snake_case, every field optional), as the JimBot services
 * (advisor, decisions) accept it. The bus domain validates the same message on `game.state`; a domain never
 * imports another, so the JimBot domain keeps its own copy, bounded for HTTP bodies.
 */
import { z } from "@hono/zod-openapi";

const int32 = z.number().int().min(-2147483648).max(2147483647);
const short = z.string().max(200);

const CardSchema = z.looseObject({
  suit: short.optional(),
  rank: short.optional(),
  enhancement: short.optional(),
  seal: short.optional(),
  edition: short.optional(),
});

const JokerSchema = z.looseObject({
  name: short.optional(),
  rarity: short.optional(),
  position: int32.optional(),
  properties: z.record(z.string().max(200), z.string().max(2000)).optional(),
});

export const GameStateSchema = z
  .looseObject({
    game_id: short.optional(),
    ante: int32.optional(),
    round: int32.optional(),
    hand_number: int32.optional(),
    jokers: z.array(JokerSchema).max(100).optional(),
    hand: z.array(CardSchema).max(100).optional(),
    deck: z.array(CardSchema).max(500).optional(),
    chips: int32.optional(),
    mult: int32.optional(),
    money: int32.optional(),
    hand_size: int32.optional(),
    hands_remaining: int32.optional(),
    discards_remaining: int32.optional(),
    shop_items: z.record(z.string().max(200), int32).optional(),
    score_history: z.record(z.string().max(200), z.number()).optional(),
  })
  .openapi("GameStateEvent");

export type GameState = z.infer<typeof GameStateSchema>;
