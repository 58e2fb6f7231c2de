import type { RouterOutputs } from '@strongroom/client';
import { createContext, useContext } from 'react';

export type Me = RouterOutputs['me'];

/** The signed-in user, loaded once by the shell before any page renders. */
export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe() is for pages inside the signed-in shell');
  return me;
}

/** Admins may do everything in their org; members see only what they may use. */
export const useIsAdmin = () => useMe().role === 'admin';
