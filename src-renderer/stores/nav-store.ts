/** Which screen the app shows, in a store so a wizard can send the user to the browser and the browser back to the wizard. */
import { create } from 'zustand';

/** The screens the navigation offers. */
export type Screen = 'start' | 'export' | 'import' | 'browse' | 'catalog' | 'settings';

/** The navigation store. */
export interface NavStore {
  screen: Screen;
  go: (screen: Screen) => void;
}

/** Hook and store of the app's navigation. */
export const useNav = create<NavStore>()((set) => ({
  screen: 'start',
  go: (screen) => set({ screen }),
}));
