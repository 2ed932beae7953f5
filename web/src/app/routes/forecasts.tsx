import { ForecastsPage } from '../../features/forecasts';

export const ForecastsRoute = () => <ForecastsPage />;
